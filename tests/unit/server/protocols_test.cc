// Issue 13 at the handler level: the Open Inference Protocol v2, TF Serving / KServe v1
// completeness (columnar inputs, versions, model list), bearer tokens, request ids, CORS, the access
// log and the process metrics. The Triton client itself runs in bench/triton_client_check.py.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fake_predictor.h"
#include "server/auth_tokens.h"
#include "server/service.h"

namespace fenlei::server {
namespace {

using nlohmann::json;
using testing::FakeControl;

class ProtocolsTest : public ::testing::Test {
 protected:
  void make(ServiceOptions options = {}) {
    service_.reset();
    auto registry = Registry::create({{"reviews", "good.fenlei"}}, testing::fake_loader(control_));
    ASSERT_TRUE(registry.ok());
    service_ = std::make_unique<Service>(std::move(registry).value(), options);
  }
  void SetUp() override { make(); }
  HttpResponse call(std::string_view method, std::string_view path, std::string_view body = {},
                    HttpHeaders headers = {{"content-type", "application/json"}}) {
    headers_ = std::move(headers);
    return service_->handle(HttpRequest{method, path, body, &headers_, "127.0.0.1"});
  }
  static std::string header(const HttpResponse& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  std::shared_ptr<FakeControl> control_ = std::make_shared<FakeControl>();
  std::unique_ptr<Service> service_;
  HttpHeaders headers_;
};

TEST_F(ProtocolsTest, V2ServerAndModelMetadataAndReadiness) {
  auto server = call("GET", "/v2");
  ASSERT_EQ(server.status, 200);
  EXPECT_EQ(json::parse(server.body)["name"], "fenlei");
  auto meta = call("GET", "/v2/models/reviews");
  ASSERT_EQ(meta.status, 200) << meta.body;
  auto m = json::parse(meta.body);
  EXPECT_EQ(m["name"], "reviews");
  EXPECT_EQ(m["versions"], json({"1"}));
  EXPECT_EQ(m["inputs"][0]["name"], "text");
  EXPECT_EQ(m["inputs"][0]["datatype"], "BYTES");
  EXPECT_EQ(m["outputs"][1]["name"], "probabilities");
  EXPECT_EQ(m["outputs"][1]["shape"], json({-1, 3}));
  EXPECT_EQ(m["labels"], json({"neg", "neutral", "pos"}));
  EXPECT_EQ(call("GET", "/v2/models/reviews/ready").status, 200);
  EXPECT_EQ(call("GET", "/v2/models/reviews/versions/1/ready").status, 200);
  EXPECT_EQ(call("GET", "/v2/models/reviews/versions/7/ready").status, 404);
  EXPECT_EQ(call("GET", "/v2/models/nope/ready").status, 404);
  service_->begin_drain();
  EXPECT_EQ(call("GET", "/v2/models/reviews/ready").status, 503);
}

TEST_F(ProtocolsTest, V2InferReturnsLabelsProbabilitiesTopKAndEchoesTheId) {
  auto r = call("POST", "/v2/models/reviews/infer", R"({
      "id": "req-7", "parameters": {"top_k": 2},
      "inputs": [{"name": "text", "datatype": "BYTES", "shape": [2, 1], "data": [["很好"], ["太差"]]}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["id"], "req-7");
  EXPECT_EQ(j["model_name"], "reviews");
  EXPECT_EQ(j["model_version"], "1");
  ASSERT_EQ(j["outputs"].size(), 4u);
  EXPECT_EQ(j["outputs"][0]["name"], "label");
  EXPECT_EQ(j["outputs"][0]["data"], json({"pos", "neg"}));
  EXPECT_EQ(j["outputs"][1]["name"], "probabilities");
  EXPECT_EQ(j["outputs"][1]["shape"], json({2, 3}));
  const auto p = j["outputs"][1]["data"].get<std::vector<float>>();
  ASSERT_EQ(p.size(), 6u);
  EXPECT_FLOAT_EQ(p[2], 0.8f);  // "pos" of the first text, in the model's label order
  EXPECT_FLOAT_EQ(p[3], 0.7f);  // "neg" of the second
  EXPECT_EQ(j["outputs"][2]["data"], json({"pos", "neutral", "neg", "neutral"}));
  EXPECT_EQ(j["outputs"][3]["shape"], json({2, 2}));

  // Requested outputs only, in the order asked.
  auto only = call("POST", "/v2/models/reviews/versions/1/infer", R"({
      "inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["嗯"]}],
      "outputs": [{"name": "probabilities"}]})");
  ASSERT_EQ(only.status, 200) << only.body;
  auto o = json::parse(only.body);
  ASSERT_EQ(o["outputs"].size(), 1u);
  EXPECT_EQ(o["outputs"][0]["name"], "probabilities");
  EXPECT_FALSE(o.contains("id"));
}

TEST_F(ProtocolsTest, V2InferRefusesEveryMalformedTensorWith400) {
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"malformed JSON", R"({"inputs": [)"},
      {"no inputs", R"({"id": "x"})"},
      {"wrong name", R"({"inputs": [{"name": "txt", "datatype": "BYTES", "shape": [1], "data": ["a"]}]})"},
      {"wrong type", R"({"inputs": [{"name": "text", "datatype": "FP32", "shape": [1], "data": [1.0]}]})"},
      {"shape mismatch", R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [3], "data": ["a"]}]})"},
      {"bad shape", R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 2], "data": ["a", "b"]}]})"},
      {"non-string BYTES", R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": [5]}]})"},
      {"empty batch", R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [0], "data": []}]})"},
      {"unknown output", R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["a"]}], "outputs": [{"name": "logits"}]})"},
      {"top_k outputs without top_k", R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["a"]}], "outputs": [{"name": "top_k_labels"}]})"},
      {"bad top_k", R"({"parameters": {"top_k": 0}, "inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["a"]}]})"},
      {"binary data without its header", R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "parameters": {"binary_data_size": 5}}]})"},
  };
  for (const auto& [name, body] : cases) {
    auto r = call("POST", "/v2/models/reviews/infer", body);
    EXPECT_EQ(r.status, 400) << name << ": " << r.body;
    EXPECT_FALSE(json::parse(r.body)["error"].get<std::string>().empty()) << name;
  }
  std::string big = R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [5000], "data": [)";
  for (int i = 0; i < 5000; ++i) big += std::string(i ? "," : "") + "\"a\"";
  EXPECT_EQ(call("POST", "/v2/models/reviews/infer", big + "]}]}").status, 400);
  const std::string ok = R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["a"]}]})";
  EXPECT_EQ(call("POST", "/v2/models/nope/infer", ok).status, 404);
  EXPECT_EQ(call("POST", "/v2/models/reviews/versions/2/infer", ok).status, 404);
  EXPECT_EQ(call("GET", "/v2/models/reviews/infer").status, 405);
}

TEST_F(ProtocolsTest, V1TakesColumnarInputsVersionsAndListsModels) {
  auto columnar = call("POST", "/v1/models/reviews:predict", R"({"inputs": ["很好", "太差"]})");
  ASSERT_EQ(columnar.status, 200) << columnar.body;
  auto c = json::parse(columnar.body);
  EXPECT_EQ(c["outputs"]["label"], json({"pos", "neg"}));
  EXPECT_EQ(c["outputs"]["score"].size(), 2u);
  auto named = call("POST", "/v1/models/reviews:predict", R"({"inputs": {"text": ["很好"]}})");
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(json::parse(named.body)["outputs"]["label"], json({"pos"}));
  EXPECT_EQ(call("POST", "/v1/models/reviews:predict", R"({"inputs": {"a": ["x"], "b": ["y"]}})").status, 400);

  EXPECT_EQ(call("POST", "/v1/models/reviews/versions/1:predict", R"({"instances": ["好"]})").status, 200);
  EXPECT_EQ(call("POST", "/v1/models/reviews/versions/3:predict", R"({"instances": ["好"]})").status, 404);
  EXPECT_EQ(call("GET", "/v1/models/reviews/versions/1").status, 200);
  EXPECT_EQ(call("GET", "/v1/models/reviews/versions/1/metadata").status, 200);
  auto list = call("GET", "/v1/models");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body)["models"][0]["name"], "reviews");
  EXPECT_EQ(json::parse(list.body)["models"][0]["state"], "AVAILABLE");
}

TEST_F(ProtocolsTest, BearerTokensGuardEverythingButHealthAndAdminGuardsReload) {
  ServiceOptions options;
  options.auth_tokens = {{"user-token-0123456789", false}, {"admin-token-0123456789", true}};
  make(options);
  const HttpHeaders json_type = {{"content-type", "application/json"}};
  auto with = [&](std::string token) {
    HttpHeaders h = json_type;
    h.emplace_back("authorization", "Bearer " + token);
    return h;
  };
  const std::string body = R"({"instances": ["好"]})";
  auto none = call("POST", "/v1/models/reviews:predict", body, json_type);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(header(none, "WWW-Authenticate"), "Bearer realm=\"fenlei\"");
  auto wrong = call("POST", "/v1/models/reviews:predict", body, with("user-token-0123456780"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(header(wrong, "WWW-Authenticate").find("invalid_token"), std::string::npos);
  EXPECT_EQ(call("POST", "/v1/models/reviews:predict", body, with("user-token-012345678")).status, 401);
  EXPECT_EQ(call("POST", "/v1/models/reviews:predict", body, with("user-token-0123456789")).status, 200);
  EXPECT_EQ(call("GET", "/v2/models/reviews", "", with("user-token-0123456789")).status, 200);
  EXPECT_EQ(call("GET", "/metrics", "", json_type).status, 401);
  EXPECT_EQ(call("GET", "/v2/health/live", "", {}).status, 200);
  EXPECT_EQ(call("GET", "/v2/health/ready", "", {}).status, 200);
  EXPECT_EQ(call("POST", "/v1/models/reviews:reload", "", with("user-token-0123456789")).status, 403);
  EXPECT_EQ(call("POST", "/v1/models/reviews:reload", "", with("admin-token-0123456789")).status, 200);
}

TEST(AuthTokenFile, ReadsTokensAndRefusesWeakOnes) {
  const std::string path = ::testing::TempDir() + "/fenlei_tokens.txt";
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  write("# tokens\n\n0123456789abcdef0123\nfedcba9876543210fedc admin\n");
  auto tokens = read_auth_token_file(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status().message();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_FALSE((*tokens)[0].admin);
  EXPECT_TRUE((*tokens)[1].admin);
  write("short\n");
  EXPECT_NE(read_auth_token_file(path).status().message().find(":1"), std::string::npos);
  write("0123456789abcdef0123 root\n");
  EXPECT_FALSE(read_auth_token_file(path).ok());
  write("# nothing\n");
  EXPECT_FALSE(read_auth_token_file(path).ok());
  EXPECT_EQ(read_auth_token_file(path + ".missing").status().code(), StatusCode::kNotFound);
  std::remove(path.c_str());
}

TEST_F(ProtocolsTest, RequestIdsAreEchoedOrMadeAndNamedInErrors) {
  auto given = call("GET", "/v2/health/live", "", {{"x-request-id", "abc-123"}});
  EXPECT_EQ(header(given, "X-Request-ID"), "abc-123");
  auto made = call("GET", "/v2/health/live", "", {});
  const std::string id = header(made, "X-Request-ID");
  EXPECT_FALSE(id.empty());
  EXPECT_NE(header(call("GET", "/v2/health/live", "", {}), "X-Request-ID"), id);
  // A header-injection attempt is replaced, not echoed.
  auto hostile = call("GET", "/v2/health/live", "", {{"x-request-id", "a\r\nSet-Cookie: x"}});
  EXPECT_EQ(header(hostile, "X-Request-ID").find('\n'), std::string::npos);
  auto error = call("GET", "/nope", "", {{"x-request-id", "err-9"}});
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(json::parse(error.body)["request_id"], "err-9");
}

TEST_F(ProtocolsTest, CorsIsOffByDefaultAndOnForAllowedOrigins) {
  const HttpHeaders from_site = {{"origin", "https://ops.example.com"},
                                 {"access-control-request-method", "POST"}};
  auto off = call("OPTIONS", "/v1/models/reviews:predict", "", from_site);
  EXPECT_EQ(off.status, 405);
  EXPECT_EQ(header(call("GET", "/v2", "", from_site), "Access-Control-Allow-Origin"), "");
  ServiceOptions options;
  options.allowed_origins = {"https://ops.example.com"};
  make(options);
  auto preflight = call("OPTIONS", "/v1/models/reviews:predict", "", from_site);
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(header(preflight, "Access-Control-Allow-Origin"), "https://ops.example.com");
  EXPECT_NE(header(preflight, "Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  auto other = call("GET", "/v2", "", {{"origin", "https://evil.example"}});
  EXPECT_EQ(header(other, "Access-Control-Allow-Origin"), "");
}

TEST_F(ProtocolsTest, AccessLogWritesOneJsonObjectPerRequest) {
  const std::string path = ::testing::TempDir() + "/fenlei_access.log";
  std::remove(path.c_str());
  ServiceOptions options;
  options.access_log = path;
  make(options);
  ASSERT_TRUE(service_->access_log_status().ok());
  call("POST", "/v1/models/reviews:predict", R"({"instances": ["好"]})",
       {{"content-type", "application/json"}, {"x-request-id", "log-1"}});
  call("GET", "/nope", "", {});
  service_.reset();
  std::ifstream in(path);
  std::string first, second;
  ASSERT_TRUE(std::getline(in, first));
  ASSERT_TRUE(std::getline(in, second));
  auto a = json::parse(first);
  EXPECT_EQ(a["request_id"], "log-1");
  EXPECT_EQ(a["route"], "/v1/models/{name}:predict");
  EXPECT_EQ(a["model"], "reviews");
  EXPECT_EQ(a["status"], 200);
  EXPECT_EQ(a["client"], "127.0.0.1");
  EXPECT_TRUE(a.contains("time") && a.contains("latency_ms"));
  EXPECT_EQ(json::parse(second)["status"], 404);
  std::remove(path.c_str());
  ServiceOptions bad;
  bad.access_log = "/nonexistent-dir/x.log";
  make(bad);
  EXPECT_FALSE(service_->access_log_status().ok());
}

TEST_F(ProtocolsTest, MetricsHaveProcessBuildInfoAndModelLabels) {
  call("POST", "/v1/models/reviews:predict", R"({"instances": ["好"]})");
  call("POST", "/v1/models/reviews:predict", R"({"instances": 5})");
  const std::string m = call("GET", "/metrics").body;
  for (const char* want : {"process_cpu_seconds_total ", "process_open_fds ", "process_start_time_seconds ",
                           "process_virtual_memory_bytes ", "fenlei_build_info{version=\"",
                           "fenlei_model_requests_total{model=\"reviews\",code=\"2xx\"} 1",
                           "fenlei_model_requests_total{model=\"reviews\",code=\"4xx\"} 1"}) {
    EXPECT_NE(m.find(want), std::string::npos) << want;
  }
}

}  // namespace
}  // namespace fenlei::server
