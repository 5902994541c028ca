// The real Server against clients an HTTP library would not be: slow, trickling, pipelining,
// oversized, cross-site, and clients caught by a shutdown. Issue 16's server items, one test each
// (behaviour only; the timings are measured by bench/serve_slowloris.sh).
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "fake_predictor.h"
#include "raw_client.h"
#include "server/server.h"
#include "server_fixture.h"

namespace fenlei::server {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using testing::FakeControl;
using testing::RawConnection;

const std::string kPredictBody = R"({"instances": ["好"]})";
const std::string kPredict =
    "POST /v1/models/reviews:predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    "Content-Length: " + std::to_string(kPredictBody.size()) + "\r\n\r\n" + kPredictBody;
const std::string kLive = "GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n";

class HostileClientsTest : public testing::ServerFixture {};

// Issue 16.1: 130 connections that each sent one header byte used to hold all of httplib's
// threads, so a normal request timed out.
TEST_F(HostileClientsTest, SlowClientsDoNotStarveOthers) {
  start();
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(slow.back()->connected());
    ASSERT_TRUE(slow.back()->send("P"));
  }
  for (int round = 0; round < 3; ++round) {
    RawConnection normal(port());
    ASSERT_TRUE(normal.send(kPredict));
    auto r = normal.read_response(5000ms);
    ASSERT_TRUE(r) << "a normal request got no answer with 200 slow connections open";
    EXPECT_EQ(r->status, 200) << r->body;
    for (auto& s : slow) s->send("O");
  }
}

// Issue 16.1: a single trickling connection stayed open indefinitely.
TEST_F(HostileClientsTest, TricklingConnectionIsCutOffAtItsDeadline) {
  ServerOptions options;
  options.connections.request_line_timeout_ms = 300;
  options.connections.header_timeout_ms = 600;
  start(options);
  RawConnection trickle(port());
  const std::string request = "GET /v2/health/live HTTP/1.1\r\nHost: t\r\nX-Slow: " +
                              std::string(1000, 'a') + "\r\n\r\n";
  bool cut_off = false;
  for (char c : request) {
    if (!trickle.send(std::string(1, c))) {
      cut_off = true;
      break;
    }
    std::this_thread::sleep_for(20ms);  // 1000+ bytes at 50 bytes/s: ~20 s if never cut off
    if (auto r = trickle.read_response(1ms)) {
      EXPECT_EQ(r->status, 408) << r->body;
      EXPECT_EQ(r->headers["connection"], "close");
      cut_off = true;
      break;
    }
  }
  EXPECT_TRUE(cut_off);
  EXPECT_TRUE(trickle.closed_by_server(5000ms));
  EXPECT_GE(server_->connection_stats().timed_out, 1);
}

TEST_F(HostileClientsTest, IdleKeepAliveConnectionIsClosedAfterItsTimeout) {
  ServerOptions options;
  options.connections.idle_timeout_ms = 200;
  start(options);
  RawConnection idle(port());
  ASSERT_TRUE(idle.send(kLive));
  ASSERT_TRUE(idle.read_response(5000ms));
  EXPECT_TRUE(idle.closed_by_server(5000ms));
}

TEST_F(HostileClientsTest, ConnectionCapsRefuseTheExcessButKeepSlotsForProbes) {
  ServerOptions options;
  options.connections.max_connections = 20;
  options.connections.max_connections_per_client = 10;
  options.connections.probe_connections = 2;
  start(options);
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 10; ++i) {
    held.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(held.back()->send("G"));
  }
  // Past the per-client cap: a probe slot, where health is answered and predictions are not.
  RawConnection probe(port());
  ASSERT_TRUE(probe.send(kLive));
  auto live = probe.read_response(5000ms);
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  RawConnection predict(port());
  ASSERT_TRUE(predict.send(kPredict));
  auto refused = predict.read_response(5000ms);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  // Another address is a different client (Linux routes all of 127/8 to loopback).
  RawConnection other(port(), "127.0.0.2");
  ASSERT_TRUE(other.send(kPredict));
  auto ok = other.read_response(5000ms);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

// Issue 16.2: a chunked body was buffered whole (400 MB) before the 413.
TEST_F(HostileClientsTest, ChunkedBodyOverTheLimitIsRefusedAsItArrives) {
  ServerOptions options;
  options.service.max_body_bytes = 4096;
  start(options);
  RawConnection c(port());
  ASSERT_TRUE(c.send("POST /v1/models/reviews:predict HTTP/1.1\r\nHost: t\r\n"
                     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
  // 64 KB in 1 KB chunks and no last chunk: the answer must come without the end of the body.
  std::optional<testing::RawResponse> r;
  for (int i = 0; i < 64 && !r; ++i) {
    if (!c.send("400\r\n" + std::string(1024, 'a') + "\r\n")) break;
    r = c.read_response(10ms);
  }
  if (!r) r = c.read_response(5000ms);
  ASSERT_TRUE(r) << "no answer before the body ended";
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("over the limit"), std::string::npos);
}

// Issue 16.3: of several requests sent in one write, only the first was answered.
TEST_F(HostileClientsTest, PipelinedRequestsAreAllAnsweredInOrder) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(kPredict + kLive + "GET /v1/models/reviews HTTP/1.1\r\nHost: t\r\n\r\n" +
                     "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n" + kPredict));
  const std::vector<int> expected = {200, 200, 200, 404, 200};
  std::vector<std::string> bodies;
  for (size_t i = 0; i < expected.size(); ++i) {
    auto r = c.read_response(5000ms);
    ASSERT_TRUE(r) << "response " << i << " missing";
    EXPECT_EQ(r->status, expected[i]) << i << ": " << r->body;
    bodies.push_back(r->body);
  }
  EXPECT_NE(bodies[0].find("predictions"), std::string::npos);
  EXPECT_EQ(bodies[1], R"({"live":true})");
  EXPECT_NE(bodies[2].find("model_version_status"), std::string::npos);
  EXPECT_NE(bodies[4].find("predictions"), std::string::npos);
}

// Issue 16.4: SIGTERM did not exit while a client trickled a request.
TEST_F(HostileClientsTest, TricklingClientDoesNotHoldShutdownPastTheDrainTimeout) {
  ServerOptions options;
  options.drain_timeout_s = 1;
  start(options);
  RawConnection trickle(port());
  ASSERT_TRUE(trickle.send("POST /v1/models/reviews:predict HTTP/1.1\r\nHost: t\r\n"));
  std::atomic<bool> stop{false};
  std::thread trickler([&] {
    while (!stop && trickle.send("X")) std::this_thread::sleep_for(50ms);
  });
  auto stopped = std::async(std::launch::async, [&] { server_->shutdown(); });
  const bool finished = stopped.wait_for(15s) == std::future_status::ready;
  stop = true;
  trickler.join();
  ASSERT_TRUE(finished) << "shutdown still waiting for a trickling client";
}

// Issue 16.4: keep-alive clients got broken pipes instead of "Connection: close" or 503.
TEST_F(HostileClientsTest, DrainAnswersKeepAliveClientsWithConnectionClose) {
  ServerOptions options;
  options.drain_timeout_s = 10;
  start(options);
  RawConnection keep_alive(port());
  ASSERT_TRUE(keep_alive.send(kLive));
  auto first = keep_alive.read_response(5000ms);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->headers["connection"], "keep-alive");

  control_->delay_ms = 2000;  // one slow prediction keeps the drain going (margin for slow CI)
  RawConnection slow(port());
  ASSERT_TRUE(slow.send(kPredict));
  const auto until = Clock::now() + 5s;
  while (server_->service().in_flight() < 1 && Clock::now() < until) std::this_thread::sleep_for(1ms);
  auto stopped = std::async(std::launch::async, [&] { server_->shutdown(); });
  while (server_->service().ready() && Clock::now() < until) std::this_thread::sleep_for(1ms);

  // The idle keep-alive connection is still open: its next request gets an answer that closes it.
  ASSERT_TRUE(keep_alive.send(kPredict));
  auto during = keep_alive.read_response(5000ms);
  ASSERT_TRUE(during) << "a keep-alive client got no answer while the server drained";
  EXPECT_EQ(during->status, 503);
  EXPECT_EQ(during->headers["connection"], "close");
  EXPECT_TRUE(keep_alive.closed_by_server(5000ms));

  auto finished = slow.read_response(5000ms);
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->status, 200);
  EXPECT_EQ(finished->headers["connection"], "close");
  stopped.get();
}

// Issue 16.5: oversized headers or URLs closed the connection without a response.
TEST_F(HostileClientsTest, OversizedUrlGets414AndOversizedHeadersGet431) {
  start();
  {
    RawConnection c(port());
    ASSERT_TRUE(c.send("GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto r = c.read_response(5000ms);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 414);
    EXPECT_FALSE(nlohmann::json::parse(r->body)["error"].get<std::string>().empty());
  }
  {
    RawConnection c(port());
    ASSERT_TRUE(c.send("GET /v2/health/live HTTP/1.1\r\nHost: t\r\nCookie: " +
                       std::string(100000, 'c') + "\r\n\r\n"));
    auto r = c.read_response(5000ms);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
  }
  auto metrics = RawConnection(port());
  ASSERT_TRUE(metrics.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto m = metrics.read_response(5000ms);
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find(R"(code="414"} 1)"), std::string::npos);
  EXPECT_NE(m->body.find(R"(code="431"} 1)"), std::string::npos);
}

// Issue 16.6: :reload accepted form-encoded cross-origin POSTs from any Origin.
TEST_F(HostileClientsTest, ReloadRefusesFormPostsAndForeignOrigins) {
  ServerOptions options;
  options.service.allowed_origins = {"https://ops.example.com"};
  start(options);
  auto reload = [&](const std::string& headers, const std::string& body) {
    RawConnection c(port());
    c.send("POST /v1/models/reviews:reload HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    auto r = c.read_response(5000ms);
    return r ? r->status : -1;
  };
  EXPECT_EQ(reload("Origin: https://evil.example\r\nContent-Type: application/x-www-form-urlencoded\r\n", "a=b"), 403);
  EXPECT_EQ(reload("Origin: https://evil.example\r\nContent-Type: application/json\r\n", "{}"), 403);
  EXPECT_EQ(reload("Content-Type: application/x-www-form-urlencoded\r\n", "a=b"), 415);
  EXPECT_EQ(reload("Content-Type: text/plain\r\n", "{}"), 415);
  EXPECT_EQ(reload("", ""), 415);
  EXPECT_EQ(reload("Content-Type: application/json\r\n", "not json"), 400);
  EXPECT_EQ(server_->service().registry().find("reviews")->version(), 1);
  EXPECT_EQ(reload("Content-Type: application/json\r\n", ""), 200);
  EXPECT_EQ(reload("Content-Type: application/json; charset=utf-8\r\n", "{}"), 200);
  EXPECT_EQ(reload("Origin: http://127.0.0.1\r\nContent-Type: application/json\r\n", "{}"), 200);
  EXPECT_EQ(reload("Origin: https://ops.example.com\r\nContent-Type: application/json\r\n", "{}"), 200);
  EXPECT_EQ(server_->service().registry().find("reviews")->version(), 5);
}

// Issue 13: admin actions on a separate loopback port; the data port refuses them.
TEST_F(HostileClientsTest, AdminPortServesReloadsAndTheDataPortRefusesThem) {
  ServerOptions options;
  options.admin_port = 0;
  options.service.auth_tokens = {{"user-token-0123456789", false}};
  start(options);
  ASSERT_GT(server_->admin_port(), 0);
  auto reload = [&](int to_port, const std::string& extra) {
    RawConnection c(to_port);
    c.send("POST /v1/models/reviews:reload HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" +
           extra + "Content-Length: 0\r\n\r\n");
    auto r = c.read_response(5000ms);
    return r ? r->status : -1;
  };
  EXPECT_EQ(reload(port(), "Authorization: Bearer user-token-0123456789\r\n"), 403);
  EXPECT_EQ(server_->service().registry().find("reviews")->version(), 1);
  EXPECT_EQ(reload(server_->admin_port(), ""), 200);
  EXPECT_EQ(server_->service().registry().find("reviews")->version(), 2);
  // The data port still serves predictions with a token.
  RawConnection c(port());
  ASSERT_TRUE(c.send("POST /v1/models/reviews:predict HTTP/1.1\r\nHost: t\r\n"
                     "Authorization: Bearer user-token-0123456789\r\nContent-Type: application/json\r\n"
                     "Content-Length: " + std::to_string(kPredictBody.size()) + "\r\n\r\n" + kPredictBody));
  auto r = c.read_response(5000ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HostileClientsTest, ExpectContinueGetsA100BeforeTheBody) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send("POST /v1/models/reviews:predict HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                     "Content-Type: application/json\r\nContent-Length: " +
                     std::to_string(kPredictBody.size()) + "\r\n\r\n"));
  auto cont = c.read_response(5000ms);
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.send(kPredictBody));
  auto r = c.read_response(5000ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace fenlei::server
