// The handlers, called directly: routing, every error status, reload, metrics and batching.
#include "server/service.h"

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "fake_predictor.h"
#include "server/json_codec.h"

namespace fenlei::server {
namespace {

using testing::FakeControl;

class ServiceTest : public ::testing::Test {
 protected:
  void make(ServiceOptions options = {}, std::vector<ModelSpec> specs = {{"reviews", "good.fenlei"}}) {
    service_.reset();
    auto registry = Registry::create(specs, testing::fake_loader(control_));
    ASSERT_TRUE(registry.ok()) << registry.status().message();
    service_ = std::make_unique<Service>(std::move(registry).value(), options);
  }
  void SetUp() override { make(); }

  HttpResponse call(std::string_view method, std::string_view path, std::string_view body = {}) {
    return service_->handle(HttpRequest{method, path, body, &json_headers_});
  }
  const HttpHeaders json_headers_ = {{"content-type", "application/json"}};
  static std::string error_of(const HttpResponse& r) {
    return nlohmann::json::parse(r.body).at("error").get<std::string>();
  }

  std::shared_ptr<FakeControl> control_ = std::make_shared<FakeControl>();
  std::unique_ptr<Service> service_;
};

TEST(ClassifyPath, KnowsEveryRoute) {
  std::string_view model;
  EXPECT_EQ(classify_path("/v1/models/a.b-c:predict", &model), Route::kPredict);
  EXPECT_EQ(model, "a.b-c");
  EXPECT_EQ(classify_path("/v1/models/x:reload", &model), Route::kReload);
  EXPECT_EQ(classify_path("/v1/models/x:explain", &model), Route::kExplain);
  EXPECT_EQ(model, "x");
  EXPECT_EQ(classify_path("/v1/models/x", &model), Route::kModelStatus);
  EXPECT_EQ(model, "x");
  EXPECT_EQ(classify_path("/v1/models/x/metadata", &model), Route::kModelMetadata);
  EXPECT_EQ(classify_path("/v2/health/live", &model), Route::kHealthLive);
  EXPECT_EQ(classify_path("/v2/health/ready", &model), Route::kHealthReady);
  EXPECT_EQ(classify_path("/metrics", &model), Route::kMetrics);
  EXPECT_EQ(classify_path("/", &model), Route::kUi);  // the try-a-model page
  for (const char* other : {"/index.html", "/v1/models/", "/v1/models/x:train", "/v1/models/:predict",
                            "/v1/models/x/y", "/v1/models//metadata", "/metricsx"}) {
    EXPECT_EQ(classify_path(other, &model), Route::kOther) << other;
  }
}

TEST_F(ServiceTest, PredictsInOrderWithTopK) {
  auto r = call("POST", "/v1/models/reviews:predict",
                R"({"instances": ["很好", "太差", "嗯"], "k": 2})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["predictions"].size(), 3u);
  EXPECT_EQ(j["predictions"][0]["label"], "pos");
  EXPECT_EQ(j["predictions"][1]["label"], "neg");
  EXPECT_EQ(j["predictions"][2]["label"], "neutral");
  EXPECT_NEAR(j["predictions"][0]["score"].get<double>(), 0.8, 1e-6);
  ASSERT_EQ(j["predictions"][0]["top_k"].size(), 2u);
  EXPECT_EQ(j["predictions"][0]["top_k"][1]["label"], "neutral");
}

TEST_F(ServiceTest, ThresholdFiltersTopK) {
  auto r = call("POST", "/v1/models/reviews:predict",
                R"({"instances": ["很好"], "k": 3, "threshold": 0.1})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["predictions"][0]["top_k"].size(), 2u);
}

TEST_F(ServiceTest, ClientErrorsGetTheRightStatusAndJson) {
  struct Case {
    const char* method;
    const char* path;
    std::string body;
    int status;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/models/reviews:predict", R"({"instances": ["a")", 400},
      {"POST", "/v1/models/reviews:predict", R"({"instances": 5})", 400},
      {"POST", "/v1/models/reviews:predict", "{\"instances\": [\"\xc3\x28\"]}", 400},
      {"POST", "/v1/models/reviews:predict", R"({"instances": []})", 400},
      {"POST", "/v1/models/other:predict", R"({"instances": ["a"]})", 404},
      {"GET", "/v1/models/other", "", 404},
      {"GET", "/v1/models/other/metadata", "", 404},
      {"GET", "/nope", "", 404},
      {"GET", "/v1/models/reviews:predict", "", 405},
      {"POST", "/v2/health/ready", "", 405},
      {"DELETE", "/v1/models/reviews", "", 405},
      {"POST", "/v1/models/reviews:predict", "{\"instances\": [\"FAIL\"]}", 400},
  };
  for (const auto& c : cases) {
    auto r = call(c.method, c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << " " << c.body;
    EXPECT_FALSE(error_of(r).empty());
  }
  auto r = call("GET", "/v1/models/reviews:predict");
  EXPECT_EQ(r.allow, "POST");
  EXPECT_NE(error_of(call("POST", "/v1/models/other:predict", "{}")).find("served: reviews"),
            std::string::npos);
}

TEST_F(ServiceTest, ExplainReturnsTokenWeightsAndItsErrors) {
  auto r = call("POST", "/v1/models/reviews:explain", R"({"instances": ["很 好", "差"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["explanations"].size(), 2u);
  const auto& first = j["explanations"][0];
  EXPECT_EQ(first["label"], "pos");
  EXPECT_FLOAT_EQ(first["score"].get<float>(), 0.8f);
  EXPECT_EQ(first["truncated"], false);
  ASSERT_EQ(first["tokens"].size(), 2u);
  EXPECT_EQ(first["tokens"][1]["token"], "好");
  EXPECT_FLOAT_EQ(first["tokens"][1]["weight"].get<float>(), 0.5f);
  EXPECT_EQ(first["tokens"][1]["known"], true);
  EXPECT_EQ(j["explanations"][1]["label"], "neg");

  // Another label; errors: unknown label, not a string, too many instances, wrong method.
  r = call("POST", "/v1/models/reviews:explain", R"({"instances": ["好"], "label": "neg"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["explanations"][0]["label"], "neg");
  EXPECT_EQ(call("POST", "/v1/models/reviews:explain",
                 R"({"instances": ["好"], "label": "maybe"})").status, 400);
  EXPECT_EQ(call("POST", "/v1/models/reviews:explain", R"({"instances": ["好"], "label": 3})").status,
            400);
  std::string many = R"({"instances": [)";
  for (size_t i = 0; i <= kMaxExplainInstances; ++i) many += std::string(i ? "," : "") + "\"a\"";
  many += "]}";
  r = call("POST", "/v1/models/reviews:explain", many);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_of(r).find("at most"), std::string::npos);
  EXPECT_EQ(call("GET", "/v1/models/reviews:explain").status, 405);
  EXPECT_EQ(call("POST", "/v1/models/other:explain", R"({"instances": ["a"]})").status, 404);

  // A model that cannot explain: 501 with a message.
  control_->can_explain = false;
  r = call("POST", "/v1/models/reviews:explain", R"({"instances": ["好"]})");
  EXPECT_EQ(r.status, 501);
  EXPECT_FALSE(error_of(r).empty());
}

TEST_F(ServiceTest, BodyOverTheLimitIs413) {
  ServiceOptions options;
  options.max_body_bytes = 64;
  make(options);
  std::string body = R"({"instances": [")" + std::string(100, 'a') + "\"]}";
  auto r = call("POST", "/v1/models/reviews:predict", body);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(error_of(r).find("over the limit of 64"), std::string::npos);
}

TEST_F(ServiceTest, HealthStatusAndMetadata) {
  EXPECT_EQ(call("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(call("GET", "/v2/health/ready").status, 200);
  auto status = nlohmann::json::parse(call("GET", "/v1/models/reviews").body);
  EXPECT_EQ(status["model_version_status"][0]["version"], "1");
  EXPECT_EQ(status["model_version_status"][0]["state"], "AVAILABLE");
  auto meta = call("GET", "/v1/models/reviews/metadata");
  ASSERT_EQ(meta.status, 200);
  auto m = nlohmann::json::parse(meta.body);
  EXPECT_EQ(m["labels"], nlohmann::json({"neg", "neutral", "pos"}));
  EXPECT_EQ(m["checksum"], "deadbeef");
  EXPECT_EQ(m["vocab_size"], 1000);
  EXPECT_EQ(m["quantized"], false);
  EXPECT_EQ(m["max_len"], 64);
  EXPECT_EQ(m["metadata"]["epochs"], 3);
}

TEST_F(ServiceTest, DrainingRefusesNewWorkAndFailsReadiness) {
  service_->begin_drain();
  EXPECT_EQ(call("GET", "/v2/health/ready").status, 503);
  EXPECT_EQ(call("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(call("POST", "/v1/models/reviews:predict", R"({"instances": ["a"]})").status, 503);
  EXPECT_EQ(nlohmann::json::parse(call("GET", "/v1/models/reviews").body)["model_version_status"][0]["state"],
            "UNLOADING");
}

TEST_F(ServiceTest, ReloadSwapsTheModelAndAFailedReloadKeepsTheOld) {
  auto r = call("POST", "/v1/models/reviews:reload");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["version"], "2");
  control_->clear();
  ASSERT_EQ(call("POST", "/v1/models/reviews:predict", R"({"instances": ["a"]})").status, 200);
  {
    std::lock_guard<std::mutex> lock(control_->mutex);
    ASSERT_EQ(control_->versions_used.size(), 1u);
    EXPECT_EQ(control_->versions_used[0], "v2");  // the reloaded model answered
  }

  // A model file that loads once and is corrupt when reloaded.
  auto registry = Registry::create({{"m", "ok"}}, [calls = 0](const std::string&) mutable
                                   -> StatusOr<std::shared_ptr<const Predictor>> {
    if (++calls > 1) return data_loss_error("crc mismatch");
    return std::shared_ptr<const Predictor>(
        std::make_shared<testing::FakePredictor>(std::make_shared<FakeControl>(), "v1"));
  });
  ASSERT_TRUE(registry.ok());
  Service service(std::move(registry).value(), {});
  const HttpHeaders json = {{"content-type", "application/json"}};
  auto failed = service.handle({"POST", "/v1/models/m:reload", "", &json});
  EXPECT_EQ(failed.status, 500);
  EXPECT_NE(error_of(failed).find("still serving version 1"), std::string::npos) << failed.body;
  EXPECT_NE(error_of(failed).find("crc mismatch"), std::string::npos);
  EXPECT_EQ(service.handle({"POST", "/v1/models/m:predict", R"({"instances": ["好"]})"}).status, 200);
  auto status = nlohmann::json::parse(service.handle({"GET", "/v1/models/m", ""}).body);
  EXPECT_NE(status["model_version_status"][0]["status"]["error_message"].get<std::string>().find(
                "crc mismatch"),
            std::string::npos);
  const std::string metrics = service.handle({"GET", "/metrics", ""}).body;
  EXPECT_NE(metrics.find(R"(fenlei_model_reloads_total{model="m",result="error"} 1)"),
            std::string::npos);
  EXPECT_EQ(service.reload_all(), 1);
}

TEST(Registry, RejectsBadSetups) {
  auto control = std::make_shared<FakeControl>();
  auto loader = testing::fake_loader(control);
  EXPECT_FALSE(Registry::create({}, loader).ok());
  EXPECT_FALSE(Registry::create({{"a b", "x"}}, loader).ok());
  EXPECT_FALSE(Registry::create({{"a", "x"}, {"a", "y"}}, loader).ok());
  auto bad = Registry::create({{"a", "bad.fenlei"}}, loader);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("bad.fenlei"), std::string::npos);
}

TEST_F(ServiceTest, MetricsCountRequestsByRouteAndStatus) {
  call("POST", "/v1/models/reviews:predict", R"({"instances": ["a", "b"]})");
  call("POST", "/v1/models/reviews:predict", "{");
  call("GET", "/whatever");
  auto r = call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  const std::string& m = r.body;
  for (const char* needle :
       {R"(fenlei_http_requests_total{path="/v1/models/{name}:predict",code="200"} 1)",
        R"(fenlei_http_requests_total{path="/v1/models/{name}:predict",code="400"} 1)",
        R"(fenlei_http_requests_total{path="other",code="404"} 1)",
        R"(fenlei_http_request_duration_seconds_count{path="/v1/models/{name}:predict"} 2)",
        "fenlei_batch_size_bucket{le=\"2\"} 1", "fenlei_batch_size_count 1",
        "fenlei_queue_depth 0", "fenlei_ready 1", "process_resident_memory_bytes ",
        R"(fenlei_model_load_seconds{model="reviews"})", R"(fenlei_model_version{model="reviews"} 1)"}) {
    EXPECT_NE(m.find(needle), std::string::npos) << "missing: " << needle << "\n" << m;
  }
}

TEST_F(ServiceTest, ConcurrentRequestsShareABatch) {
  ServiceOptions options;
  options.batcher.threads = 1;
  options.batcher.max_batch_size = 16;
  make(options);
  control_->clear();
  control_->delay_ms = 150;
  // The first request occupies the only worker; the next five queue up behind it and must be
  // run together as one batch of five.
  auto first = std::async(std::launch::async, [&] {
    return call("POST", "/v1/models/reviews:predict", R"({"instances": ["好"]})").status;
  });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (control_->batches().empty() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::vector<std::future<int>> rest;
  for (int i = 0; i < 5; ++i) {
    rest.push_back(std::async(std::launch::async, [&] {
      return call("POST", "/v1/models/reviews:predict", R"({"instances": ["差"], "k": 2})").status;
    }));
  }
  EXPECT_EQ(first.get(), 200);
  for (auto& f : rest) EXPECT_EQ(f.get(), 200);
  EXPECT_EQ(control_->batches(), (std::vector<size_t>{1, 5}));
}

TEST_F(ServiceTest, QueueDelayGathersRequestsWhenIdle) {
  ServiceOptions options;
  options.batcher.threads = 2;
  options.batcher.max_batch_size = 4;
  options.batcher.max_queue_delay_us = 300000;  // generous: the batch fills long before
  make(options);
  control_->clear();
  std::vector<std::future<int>> all;
  for (int i = 0; i < 4; ++i) {
    all.push_back(std::async(std::launch::async, [&] {
      return call("POST", "/v1/models/reviews:predict", R"({"instances": ["好"]})").status;
    }));
  }
  for (auto& f : all) EXPECT_EQ(f.get(), 200);
  EXPECT_EQ(control_->batches(), (std::vector<size_t>{4}));
}

TEST_F(ServiceTest, OneBadRequestDoesNotFailItsBatchNeighbours) {
  ServiceOptions options;
  options.batcher.threads = 1;
  make(options);
  control_->delay_ms = 100;
  auto blocker = std::async(std::launch::async, [&] {
    return call("POST", "/v1/models/reviews:predict", R"({"instances": ["x"]})").status;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  auto bad = std::async(std::launch::async, [&] {
    return call("POST", "/v1/models/reviews:predict", R"({"instances": ["FAIL"]})").status;
  });
  auto good = std::async(std::launch::async, [&] {
    return call("POST", "/v1/models/reviews:predict", R"({"instances": ["好"]})").status;
  });
  EXPECT_EQ(blocker.get(), 200);
  EXPECT_EQ(bad.get(), 400);
  EXPECT_EQ(good.get(), 200);
}

TEST_F(ServiceTest, QueueFullIs429AndSlowPredictionIs504) {
  ServiceOptions options;
  options.batcher.threads = 1;
  options.batcher.max_queue_size = 1;
  options.batcher.max_batch_size = 1;
  options.timeout_ms = 2000;
  make(options);
  control_->delay_ms = 200;
  std::vector<std::future<int>> all;
  for (int i = 0; i < 6; ++i) {
    all.push_back(std::async(std::launch::async, [&] {
      return call("POST", "/v1/models/reviews:predict", R"({"instances": ["a"]})").status;
    }));
  }
  int ok = 0, full = 0;
  for (auto& f : all) {
    const int s = f.get();
    ok += s == 200;
    full += s == 429;
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(full, 1);
  EXPECT_EQ(ok + full, 6);

  options.timeout_ms = 50;
  options.batcher.max_queue_size = 10;
  make(options);
  control_->delay_ms = 300;
  auto r = call("POST", "/v1/models/reviews:predict", R"({"instances": ["a"]})");
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(error_of(r).find("--timeout-ms"), std::string::npos);
}

}  // namespace
}  // namespace fenlei::server
