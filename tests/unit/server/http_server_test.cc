// The real Server on an ephemeral loopback port, driven by httplib's client: every error status
// from a real bad request, batching, reload under load, drain under load, signals.
#include "server/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <future>
#include <nlohmann/json.hpp>

#include "fake_predictor.h"
#include "server/signal_watcher.h"
#include "server_fixture.h"

namespace fenlei::server {
namespace {

using Clock = std::chrono::steady_clock;
using testing::FakeControl;

const char* kPredictPath = "/v1/models/reviews:predict";

class HttpServerTest : public testing::ServerFixture {
 protected:
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(10, 0);
    c->set_write_timeout(10, 0);
    return c;
  }
  // Status of one POST on a fresh connection (-1 if the transport failed).
  int post(const std::string& path, const std::string& body, std::string* reply = nullptr) const {
    auto res = client()->Post(path.c_str(), body, "application/json");
    if (!res) return -1;
    if (reply) *reply = res->body;
    return res->status;
  }
  static std::string error_of(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("error")) return "";
    return j["error"].get<std::string>();
  }
};

TEST_F(HttpServerTest, ServesPredictionsAndTheModelEndpoints) {
  start();
  std::string reply;
  ASSERT_EQ(post(kPredictPath, R"({"instances": ["服务很好", "太差了"]})", &reply), 200) << reply;
  auto j = nlohmann::json::parse(reply);
  EXPECT_EQ(j["predictions"][0]["label"], "pos");
  EXPECT_EQ(j["predictions"][1]["label"], "neg");

  auto c = client();
  auto status = c->Get("/v1/models/reviews");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  EXPECT_EQ(status->get_header_value("Content-Type"), "application/json");
  auto meta = c->Get("/v1/models/reviews/metadata");
  ASSERT_TRUE(meta);
  EXPECT_EQ(nlohmann::json::parse(meta->body)["labels"].size(), 3u);
  auto live = c->Get("/v2/health/live");
  auto ready = c->Get("/v2/health/ready");
  ASSERT_TRUE(live && ready);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(ready->status, 200);
  auto metrics = c->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(fenlei_http_requests_total{path="/v1/models/{name}:predict",code="200"} 1)"),
            std::string::npos)
      << metrics->body;
}

TEST_F(HttpServerTest, EveryClientErrorComesBackAsJsonWithTheRightStatus) {
  ServerOptions options;
  options.service.max_body_bytes = 1 << 20;
  start(options);
  struct Case {
    std::string name, path, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"truncated JSON", kPredictPath, R"({"instances": ["好", )", 400},
      {"instances is a number", kPredictPath, R"({"instances": 5})", 400},
      {"invalid UTF-8", kPredictPath, "{\"instances\": [\"\xe5\xa5\"]}", 400},
      {"empty instances", kPredictPath, R"({"instances": []})", 400},
      {"unknown model", "/v1/models/nope:predict", R"({"instances": ["a"]})", 404},
      {"unknown path", "/v1/predict", R"({"instances": ["a"]})", 404},
      {"wrong method", "/v2/health/live", "", 405},
  };
  for (const auto& c : cases) {
    std::string reply;
    EXPECT_EQ(post(c.path, c.body, &reply), c.status) << c.name;
    EXPECT_FALSE(error_of(reply).empty()) << c.name << ": " << reply;
  }
  auto get_predict = client()->Get(kPredictPath);
  ASSERT_TRUE(get_predict);
  EXPECT_EQ(get_predict->status, 405);
  EXPECT_EQ(get_predict->get_header_value("Allow"), "POST");
  EXPECT_FALSE(error_of(get_predict->body).empty());
}

TEST_F(HttpServerTest, HugeBodyGets413Json) {
  ServerOptions options;
  options.service.max_body_bytes = 1 << 20;
  start(options);
  const std::string huge = R"({"instances": [")" + std::string(50u << 20, 'a') + "\"]}";
  std::string reply;
  const int status = post(kPredictPath, huge, &reply);
  EXPECT_EQ(status, 413);
  EXPECT_NE(error_of(reply).find("over the limit"), std::string::npos) << reply;
  // The server is still fine afterwards.
  EXPECT_EQ(post(kPredictPath, R"({"instances": ["好"]})"), 200);
  auto metrics = client()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(code="413"} 1)"), std::string::npos);
}

TEST_F(HttpServerTest, BurstOverflowsTheQueueWith429) {
  ServerOptions options;
  options.service.batcher.threads = 1;
  options.service.batcher.max_batch_size = 1;
  options.service.batcher.max_queue_size = 2;
  start(options);
  control_->delay_ms = 150;
  std::vector<std::future<int>> burst;
  for (int i = 0; i < 10; ++i) {
    burst.push_back(std::async(std::launch::async, [&] { return post(kPredictPath, R"({"instances": ["a"]})"); }));
  }
  int ok = 0, full = 0, other = 0;
  for (auto& f : burst) {
    const int s = f.get();
    (s == 200 ? ok : s == 429 ? full : other)++;
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(full, 1);
  EXPECT_EQ(other, 0);
}

TEST_F(HttpServerTest, SlowPredictionTimesOutWith504) {
  ServerOptions options;
  options.service.timeout_ms = 100;
  start(options);
  control_->delay_ms = 400;
  std::string reply;
  EXPECT_EQ(post(kPredictPath, R"({"instances": ["a"]})", &reply), 504);
  EXPECT_FALSE(error_of(reply).empty());
}

TEST_F(HttpServerTest, ConcurrentRequestsLandInOneBatch) {
  ServerOptions options;
  options.service.batcher.threads = 1;
  options.service.batcher.max_batch_size = 32;
  start(options);
  control_->clear();
  control_->delay_ms = 200;
  auto first = std::async(std::launch::async, [&] { return post(kPredictPath, R"({"instances": ["a"]})"); });
  const auto until = Clock::now() + std::chrono::seconds(5);
  while (control_->batches().empty() && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::vector<std::future<int>> rest;
  for (int i = 0; i < 6; ++i) {
    rest.push_back(std::async(std::launch::async, [&] { return post(kPredictPath, R"({"instances": ["b", "c"]})"); }));
  }
  // Wait until all six are queued behind the first, so they must share the next batch.
  while (server_->service().in_flight() < 7 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(first.get(), 200);
  for (auto& f : rest) EXPECT_EQ(f.get(), 200);
  EXPECT_EQ(control_->batches(), (std::vector<size_t>{1, 12}));
  auto metrics = client()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("fenlei_batch_size_bucket{le=\"8\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("fenlei_batch_size_bucket{le=\"16\"} 2\n"), std::string::npos);
}

TEST_F(HttpServerTest, ReloadUnderLoadLosesNoRequest) {
  ServerOptions options;
  options.service.batcher.threads = 2;
  start(options);
  control_->delay_ms = 2;
  std::atomic<bool> stop{false};
  std::vector<std::future<std::pair<int, int>>> clients;  // (ok, failed)
  for (int t = 0; t < 4; ++t) {
    clients.push_back(std::async(std::launch::async, [&] {
      auto c = client();  // one keep-alive connection per client thread
      int ok = 0, failed = 0;
      for (int i = 0; i < 300 && !stop.load(); ++i) {
        auto res = c->Post(kPredictPath, R"({"instances": ["好"]})", "application/json");
        (res && res->status == 200 ? ok : failed)++;
      }
      return std::make_pair(ok, failed);
    }));
  }
  auto admin = client();
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    auto res = admin->Post("/v1/models/reviews:reload", "", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  stop = true;
  int ok = 0;
  for (auto& f : clients) {
    auto [good, bad] = f.get();
    ok += good;
    EXPECT_EQ(bad, 0);
  }
  EXPECT_GT(ok, 0);
  EXPECT_EQ(server_->service().registry().find("reviews")->version(), 4);
  // Requests were served by the first and by the last model.
  std::lock_guard<std::mutex> lock(control_->mutex);
  const auto& used = control_->versions_used;
  EXPECT_NE(std::find(used.begin(), used.end(), "v1"), used.end());
  EXPECT_NE(std::find(used.begin(), used.end(), "v4"), used.end());
}

TEST_F(HttpServerTest, DrainFinishesInFlightRequests) {
  ServerOptions options;
  options.service.batcher.threads = 2;
  options.service.batcher.max_batch_size = 1;
  options.drain_timeout_s = 10;
  start(options);
  control_->delay_ms = 150;
  std::vector<std::future<int>> inflight;
  for (int i = 0; i < 6; ++i) {
    inflight.push_back(std::async(std::launch::async, [&] { return post(kPredictPath, R"({"instances": ["a"]})"); }));
  }
  const auto until = Clock::now() + std::chrono::seconds(5);
  while (server_->service().in_flight() < 6 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(server_->service().in_flight(), 6);
  auto stopper = std::async(std::launch::async, [&] { server_->shutdown(); });
  // While draining, readiness is false.
  const auto ready_until = Clock::now() + std::chrono::seconds(2);
  while (server_->service().ready() && Clock::now() < ready_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_FALSE(server_->service().ready());
  for (auto& f : inflight) EXPECT_EQ(f.get(), 200);  // ~3 batches of 150 ms on 2 workers
  stopper.get();
  server_->wait();
  // No longer accepting.
  EXPECT_EQ(post(kPredictPath, R"({"instances": ["a"]})"), -1);
}

TEST_F(HttpServerTest, ReloadNeedsNoBodyButAJsonContentType) {
  start();
  httplib::Client c("127.0.0.1", server_->port());
  auto reply = c.Post("/v1/models/reviews:reload", "", "application/json");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200) << reply->body;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/models/reviews:reload";
  req.set_header("Content-Type", "application/json");
  auto no_length = c.send(req);  // no body, no Content-Length
  ASSERT_TRUE(no_length);
  EXPECT_EQ(no_length->status, 200) << no_length->body;
  // What a cross-site form could send: refused (see HostileClientsTest for the Origin rules).
  auto form = c.Post("/v1/models/reviews:reload", "a=b", "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 415);
  EXPECT_EQ(server_->service().registry().find("reviews")->version(), 3);
}

TEST_F(HttpServerTest, SecondServerOnTheSamePortFailsCleanly) {
  start();
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = server_->port();
  auto other = Server::create({{"reviews", "good.fenlei"}}, testing::fake_loader(control_), options);
  ASSERT_TRUE(other.ok());
  const Status started = (*other)->start();
  EXPECT_EQ(started.code(), StatusCode::kUnavailable);
  EXPECT_NE(started.message().find("--port"), std::string::npos);
}

TEST(SignalWatcher, RunsCallbacksOffTheHandler) {
  std::atomic<int> reloads{0}, stops{0};
  {
    SignalWatcher watcher;
    ASSERT_TRUE(watcher.start({[&] { ++reloads; }, [&] { ++stops; }}).ok());
    SignalWatcher second;
    EXPECT_FALSE(second.start({}).ok());
    std::raise(SIGHUP);
    std::raise(SIGHUP);
    std::raise(SIGTERM);
    std::raise(SIGINT);  // a second stop signal is ignored
    const auto until = Clock::now() + std::chrono::seconds(5);
    while ((reloads < 2 || stops < 1) && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  EXPECT_EQ(reloads, 2);
  EXPECT_EQ(stops, 1);
}

}  // namespace
}  // namespace fenlei::server
