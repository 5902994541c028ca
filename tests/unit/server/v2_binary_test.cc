// Issue 13, item 1: the Open Inference Protocol's binary tensor data extension (what tritonclient
// sends by default): crafted requests, valid and hostile (truncated, lying lengths, non-BYTES),
// through the parser and through the service, and binary outputs read back byte by byte.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "fake_predictor.h"
#include "server/server.h"
#include "server/service.h"
#include "server/v2_protocol.h"

namespace fenlei::server {
namespace {

using nlohmann::json;

std::string le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// BYTES elements as the extension serialises them.
std::string bytes_tensor(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& t : texts) out += le32(static_cast<uint32_t>(t.size())) + t;
  return out;
}

struct Binary {
  std::string body;
  std::string header;  // Inference-Header-Content-Length
};

Binary binary_request(const std::string& raw, size_t shape, const json& outputs = nullptr,
                      json parameters = nullptr, const std::string& datatype = "BYTES") {
  json doc = {{"inputs", {{{"name", "text"}, {"datatype", datatype}, {"shape", {shape}},
                           {"parameters", {{"binary_data_size", raw.size()}}}}}}};
  if (!outputs.is_null()) doc["outputs"] = outputs;
  if (!parameters.is_null()) doc["parameters"] = parameters;
  const std::string head = doc.dump();
  return {head + raw, std::to_string(head.size())};
}

// The parts of a binary response: its JSON and each output's bytes, by name.
struct Parsed {
  json head;
  std::map<std::string, std::string> raw;
};

Parsed split(const HttpResponse& r) {
  std::string length;
  for (const auto& [name, value] : r.headers) {
    if (name == kInferenceHeaderLength) length = value;
  }
  Parsed p;
  if (length.empty()) {
    p.head = json::parse(r.body);
    return p;
  }
  const size_t n = std::stoul(length);
  p.head = json::parse(r.body.substr(0, n));
  size_t at = n;
  for (const auto& out : p.head["outputs"]) {
    if (!out.contains("parameters")) continue;
    const size_t size = out["parameters"]["binary_data_size"].get<size_t>();
    p.raw[out["name"].get<std::string>()] = r.body.substr(at, size);
    at += size;
  }
  EXPECT_EQ(at, r.body.size()) << "bytes after the last binary output";
  return p;
}

std::vector<std::string> decode_bytes(const std::string& raw) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at + 4 <= raw.size()) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<unsigned char>(raw[at + static_cast<size_t>(i)])) << (8 * i);
    out.push_back(raw.substr(at + 4, n));
    at += 4 + n;
  }
  EXPECT_EQ(at, raw.size());
  return out;
}

std::vector<float> decode_fp32(const std::string& raw) {
  std::vector<float> out(raw.size() / 4);
  std::memcpy(out.data(), raw.data(), out.size() * 4);  // little-endian hosts only (x86, arm64)
  return out;
}

TEST(V2BinaryParse, DecodesBytesElementsIncludingEmptyAndMultibyteTexts) {
  const Binary b = binary_request(bytes_tensor({"很好", "", "bad"}), 3);
  auto r = parse_v2_infer_request(b.body, b.header);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->texts, (std::vector<std::string>{"很好", "", "bad"}));
  EXPECT_EQ(r->outputs, (std::vector<std::string>{"label", "probabilities"}));
  EXPECT_EQ(r->binary_outputs, (std::vector<bool>{false, false}));
}

TEST(V2BinaryParse, BinaryOutputsFollowTheRequestDefaultAndEachOutputsOwnFlag) {
  const json outputs = {{{"name", "label"}},
                        {{"name", "probabilities"}, {"parameters", {{"binary_data", false}}}}};
  const Binary b = binary_request(bytes_tensor({"a"}), 1, outputs, {{"binary_data_output", true}});
  auto r = parse_v2_infer_request(b.body, b.header);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->binary_outputs, (std::vector<bool>{true, false}));
  // No outputs named: every output binary (what tritonclient asks for without outputs).
  const Binary all = binary_request(bytes_tensor({"a"}), 1, nullptr, {{"binary_data_output", true}});
  auto every = parse_v2_infer_request(all.body, all.header);
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(every->binary_outputs, (std::vector<bool>{true, true}));
}

TEST(V2BinaryParse, RefusesTruncatedLyingAndMisplacedBinaryData) {
  const std::string raw = bytes_tensor({"很好", "bad"});
  struct Case {
    const char* name;
    std::string body, header;
  };
  const Binary ok = binary_request(raw, 2);
  const size_t json_size = std::stoul(ok.header);
  std::vector<Case> cases = {
      {"truncated in an element", ok.body.substr(0, ok.body.size() - 2), ok.header},
      {"truncated in a length", binary_request(raw + "\x01\x00", 3).body,
       binary_request(raw + "\x01\x00", 3).header},
      {"element length past the end", binary_request(le32(0xffffffffu) + "abc", 1).body,
       binary_request(le32(0xffffffffu) + "abc", 1).header},
      {"element length past its tensor", binary_request(le32(10) + "abc", 1).body + "defghijk",
       binary_request(le32(10) + "abc", 1).header},
      {"header past the body", ok.body, std::to_string(ok.body.size() + 1)},
      {"header not a number", ok.body, "12a"},
      {"header huge", ok.body, "99999999999999999999999999"},
      {"header negative", ok.body, "-5"},
      {"header inside the JSON", ok.body, std::to_string(json_size - 3)},
      {"bytes no input claims", ok.body + "xx", ok.header},
      {"shape does not match", binary_request(raw, 3).body, binary_request(raw, 3).header},
      {"binary_data_size without the header", ok.body.substr(0, json_size), ""},
      {"binary text not UTF-8", binary_request(bytes_tensor({"\xff\xfe"}), 1).body,
       binary_request(bytes_tensor({"\xff\xfe"}), 1).header},
      {"non-BYTES input", binary_request(std::string(8, '\0'), 2, nullptr, nullptr, "FP32").body,
       binary_request(std::string(8, '\0'), 2, nullptr, nullptr, "FP32").header},
      {"binary_data not a boolean",
       binary_request(raw, 2, {{{"name", "label"}, {"parameters", {{"binary_data", "yes"}}}}}).body,
       binary_request(raw, 2, {{{"name", "label"}, {"parameters", {{"binary_data", "yes"}}}}}).header},
  };
  // binary_data_size bigger than what follows the JSON.
  std::string lying = ok.body;
  const std::string size_field = "\"binary_data_size\":" + std::to_string(raw.size());
  const size_t at = lying.find(size_field);
  ASSERT_NE(at, std::string::npos);
  lying.replace(at, size_field.size(), "\"binary_data_size\":" + std::to_string(raw.size() + 50));
  cases.push_back({"binary_data_size past the end", lying,
                   std::to_string(json_size + std::to_string(raw.size() + 50).size() -
                                  std::to_string(raw.size()).size())});
  for (const auto& c : cases) {
    auto r = parse_v2_infer_request(c.body, c.header);
    EXPECT_FALSE(r.ok()) << c.name;
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty()) << c.name;
    }
  }
  // A batch over the limit is refused at the first element too many, whatever the lengths say.
  std::string many;
  for (size_t i = 0; i <= kMaxV2Batch; ++i) many += le32(0);
  const Binary big = binary_request(many, kMaxV2Batch + 1);
  EXPECT_FALSE(parse_v2_infer_request(big.body, big.header).ok());
  // The header alone, with a plain JSON body: the JSON is all there is.
  const std::string plain =
      R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["好"]}]})";
  auto same = parse_v2_infer_request(plain, std::to_string(plain.size()));
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(same->texts, std::vector<std::string>{"好"});
}

class V2BinaryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = Registry::create({{"reviews", "good.fenlei"}},
                                     testing::fake_loader(std::make_shared<testing::FakeControl>()));
    ASSERT_TRUE(registry.ok());
    service_ = std::make_unique<Service>(std::move(registry).value(), ServiceOptions{});
  }
  HttpResponse infer(const Binary& b) {
    headers_ = {{"content-type", "application/octet-stream"}};
    if (!b.header.empty()) headers_.emplace_back(kInferenceHeaderLengthLower, b.header);
    return service_->handle(HttpRequest{"POST", "/v2/models/reviews/infer", b.body, &headers_,
                                        "127.0.0.1"});
  }
  std::unique_ptr<Service> service_;
  HttpHeaders headers_;
};

TEST_F(V2BinaryServiceTest, BinaryInputsAndOutputsRoundTrip) {
  const json outputs = {{{"name", "label"}, {"parameters", {{"binary_data", true}}}},
                        {{"name", "probabilities"}, {"parameters", {{"binary_data", true}}}},
                        {{"name", "top_k_labels"}},
                        {{"name", "top_k_scores"}, {"parameters", {{"binary_data", true}}}}};
  const Binary b = binary_request(bytes_tensor({"很好", "太差"}), 2, outputs, {{"top_k", 2}});
  const HttpResponse r = infer(b);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(r.content_type, "application/octet-stream");
  const Parsed p = split(r);
  ASSERT_EQ(p.head["outputs"].size(), 4u);
  EXPECT_FALSE(p.head["outputs"][0].contains("data"));
  EXPECT_EQ(decode_bytes(p.raw.at("label")), (std::vector<std::string>{"pos", "neg"}));
  EXPECT_EQ(p.head["outputs"][1]["shape"], json({2, 3}));
  const auto probabilities = decode_fp32(p.raw.at("probabilities"));
  ASSERT_EQ(probabilities.size(), 6u);
  EXPECT_FLOAT_EQ(probabilities[2], 0.8f);  // "pos" of the first text, in the model's label order
  EXPECT_FLOAT_EQ(probabilities[3], 0.7f);  // "neg" of the second
  // An output not asked as binary stays JSON, next to binary ones.
  EXPECT_EQ(p.head["outputs"][2]["data"], json({"pos", "neutral", "neg", "neutral"}));
  EXPECT_EQ(p.raw.count("top_k_labels"), 0u);
  const auto scores = decode_fp32(p.raw.at("top_k_scores"));
  ASSERT_EQ(scores.size(), 4u);
  EXPECT_FLOAT_EQ(scores[0], 0.8f);
  EXPECT_FLOAT_EQ(scores[2], 0.7f);
}

TEST_F(V2BinaryServiceTest, BinaryInputWithJsonOutputsAnswersPlainJson) {
  const HttpResponse r = infer(binary_request(bytes_tensor({"好"}), 1));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  for (const auto& [name, value] : r.headers) EXPECT_NE(name, kInferenceHeaderLength);
  EXPECT_EQ(json::parse(r.body)["outputs"][0]["data"], json({"pos"}));
}

TEST_F(V2BinaryServiceTest, HostileBinaryRequestsGet400) {
  const Binary lying = binary_request(le32(1u << 30) + "abc", 1);
  const HttpResponse r = infer(lying);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("says 1073741824 bytes"),
            std::string::npos)
      << r.body;
  const Binary ok = binary_request(bytes_tensor({"好"}), 1);
  EXPECT_EQ(infer({ok.body, "x"}).status, 400);
  EXPECT_EQ(infer({ok.body, ""}).status, 400);  // binary data without the header
}

// Through the real front end over TCP (NUL bytes and all in the body), over keep-alive: what the
// Triton client does, without needing it installed.
TEST(V2BinaryServer, BinaryRequestsAndResponsesCrossTheFrontEnd) {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  auto server = Server::create({{"reviews", "good.fenlei"}},
                               testing::fake_loader(std::make_shared<testing::FakeControl>()),
                               options);
  ASSERT_TRUE(server.ok()) << server.status().message();
  ASSERT_TRUE((*server)->start().ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_read_timeout(10, 0);
  const json outputs = {{{"name", "label"}, {"parameters", {{"binary_data", true}}}},
                        {{"name", "probabilities"}, {"parameters", {{"binary_data", true}}}}};
  for (int i = 0; i < 2; ++i) {  // one connection, kept alive
    const Binary b = binary_request(bytes_tensor({"太差", std::string("a\0b", 3), "很好"}), 3,
                                    outputs);
    auto r = client.Post("/v2/models/reviews/infer", {{kInferenceHeaderLength, b.header}}, b.body,
                         "application/octet-stream");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    ASSERT_EQ(r->status, 200) << r->body;
    HttpResponse as_response;
    as_response.body = r->body;
    as_response.headers.emplace_back(kInferenceHeaderLength,
                                     r->get_header_value(kInferenceHeaderLength));
    const Parsed p = split(as_response);
    EXPECT_EQ(decode_bytes(p.raw.at("label")), (std::vector<std::string>{"neg", "neutral", "pos"}));
    EXPECT_EQ(decode_fp32(p.raw.at("probabilities")).size(), 9u);
  }
  const Binary lying = binary_request(le32(1000) + "abc", 1);
  auto refused = client.Post("/v2/models/reviews/infer", {{kInferenceHeaderLength, lying.header}},
                             lying.body, "application/octet-stream");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  (*server)->shutdown();
}

}  // namespace
}  // namespace fenlei::server
