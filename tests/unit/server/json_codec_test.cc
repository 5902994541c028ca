#include "server/json_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fenlei::server {
namespace {

TEST(ParsePredictRequest, ReadsInstancesAndOptions) {
  auto r = parse_predict_request(R"({"instances": ["房间很干净", "too noisy"], "k": 2, "threshold": 0.25})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->instances.size(), 2u);
  EXPECT_EQ(r->instances[0], "房间很干净");
  EXPECT_EQ(r->instances[1], "too noisy");
  EXPECT_EQ(r->options.k, 2);
  EXPECT_FLOAT_EQ(r->options.threshold, 0.25f);
}

TEST(ParsePredictRequest, DefaultsAndEmptyText) {
  auto r = parse_predict_request(R"({"instances": [""], "signature_name": "ignored"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->instances.size(), 1u);
  EXPECT_EQ(r->options.k, 1);
  EXPECT_EQ(r->options.threshold, 0.0f);
}

void expect_invalid(const std::string& body, const std::string& fragment) {
  auto r = parse_predict_request(body);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(fragment), std::string::npos)
      << "message: " << r.status().message();
}

TEST(ParsePredictRequest, RejectsBadBodiesWithUsefulMessages) {
  expect_invalid("", "empty request body");
  expect_invalid(R"({"instances": ["a")", "malformed JSON");
  expect_invalid("[1, 2]", "must be a JSON object, got array");
  expect_invalid(R"({"texts": ["a"]})", "missing \"instances\"");
  expect_invalid(R"({"instances": 5})", "must be an array of strings, got number");
  expect_invalid(R"({"instances": []})", "\"instances\" is empty");
  expect_invalid(R"({"instances": ["a", 7]})", "instances[1] must be a string, got number");
  expect_invalid(R"({"instances": ["a"], "k": 0})", "\"k\" must be an integer");
  expect_invalid(R"({"instances": ["a"], "k": 2.5})", "\"k\" must be an integer");
  expect_invalid(R"({"instances": ["a"], "k": "3"})", "\"k\" must be an integer");
  expect_invalid(R"({"instances": ["a"], "k": 100000})", "\"k\" must be an integer");
  expect_invalid(R"({"instances": ["a"], "threshold": 1.5})", "\"threshold\" must be a number");
  expect_invalid(R"({"instances": ["a"], "threshold": null})", "\"threshold\" must be a number");
  // Every message tells the client what to send.
  expect_invalid(R"({"instances": 5})", R"({"instances": ["text", ...]})");
}

TEST(ParsePredictRequest, RejectsInvalidUtf8WithTheOffset) {
  std::string body = "{\"instances\": [\"ab\xff\"]}";
  expect_invalid(body, "not valid UTF-8 (byte 18 is 0xFF)");
  // A lone surrogate escape is not a valid string either.
  expect_invalid(R"({"instances": ["\ud800"]})", "malformed JSON");
}

TEST(TrimPrediction, KeepsFirstKAboveThreshold) {
  Prediction p;
  p.top_k = {{"a", 0.6f}, {"b", 0.3f}, {"c", 0.1f}};
  PredictOptions o;
  o.k = 3;
  o.threshold = 0.2f;
  trim_prediction(p, o);
  ASSERT_EQ(p.top_k.size(), 2u);
  EXPECT_EQ(p.top_k[1].label, "b");
  o.k = 1;
  o.threshold = 0;
  trim_prediction(p, o);
  ASSERT_EQ(p.top_k.size(), 1u);
  EXPECT_EQ(p.top_k[0].label, "a");
}

TEST(WritePredictions, ProducesCompactJson) {
  Prediction p;
  p.label = "好评";
  p.score = 0.97f;
  p.top_k = {{"好评", 0.97f}, {"差\"评", 0.03f}};
  EXPECT_EQ(write_predictions({p}),
            R"({"predictions":[{"label":"好评","score":0.97,"top_k":[{"label":"好评","score":0.97},)"
            R"({"label":"差\"评","score":0.03}]}]})");
  // And it is JSON that a real parser reads back.
  auto parsed = nlohmann::json::parse(write_predictions({p, p}));
  EXPECT_EQ(parsed["predictions"].size(), 2u);
  EXPECT_EQ(parsed["predictions"][0]["top_k"][1]["label"], "差\"评");
}

TEST(JsonHelpers, EscapesControlCharactersAndNonFinite) {
  std::string out;
  append_json_string(out, std::string("a\x01\n\\", 4));
  EXPECT_EQ(out, R"("a\u0001\n\\")");
  out.clear();
  append_json_float(out, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(out, "null");
  EXPECT_EQ(error_json("bad \xff byte"), "{\"error\":\"bad \xEF\xBF\xBD byte\"}");
}

}  // namespace
}  // namespace fenlei::server
