// TLS in the front end (issue 13): HTTPS with a real client, keep-alive over TLS, plain HTTP sent
// to the TLS port, weak keys refused, certificate reload.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "fake_predictor.h"
#include "raw_client.h"
#include "server/server.h"

namespace fenlei::server {
namespace {

using namespace std::chrono_literals;

std::string tls_file(const char* name) {
  return std::string(FENLEI_TEST_DATA_DIR) + "/tls/" + name;
}

class TlsTest : public ::testing::Test {
 protected:
  Status start(const std::string& cert, const std::string& key) {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.connections.tls_cert = cert;
    options.connections.tls_key = key;
    auto server = Server::create({{"reviews", "good.fenlei"}}, testing::fake_loader(control_), options);
    if (!server.ok()) return server.status();
    server_ = std::move(server).value();
    return server_->start();
  }
  void TearDown() override {
    if (server_) server_->shutdown();
  }
  std::shared_ptr<testing::FakeControl> control_ = std::make_shared<testing::FakeControl>();
  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, ServesHttpsToAVerifyingClientOverKeepAlive) {
  ASSERT_TRUE(start(tls_file("cert.pem"), tls_file("key.pem")).ok());
  EXPECT_EQ(server_->url().substr(0, 8), "https://");
  httplib::SSLClient client("127.0.0.1", server_->port());
  client.set_ca_cert_path(tls_file("cert.pem").c_str());
  client.enable_server_certificate_verification(true);
  client.set_read_timeout(10, 0);
  for (int i = 0; i < 3; ++i) {  // one connection, kept alive
    auto r = client.Post("/v1/models/reviews:predict", R"({"instances": ["很好", "太差"]})",
                         "application/json");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(nlohmann::json::parse(r->body)["predictions"][1]["label"], "neg");
  }
  auto live = client.Get("/v2/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_TRUE(server_->reload_tls().ok());
  auto after = client.Get("/v2/health/ready");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(TlsTest, PlainHttpToTheTlsPortIsToldToUseHttps) {
  ASSERT_TRUE(start(tls_file("cert.pem"), tls_file("key.pem")).ok());
  testing::RawConnection plain(server_->port());
  ASSERT_TRUE(plain.send("GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = plain.read_response(5000ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("https://"), std::string::npos);
}

TEST_F(TlsTest, WeakOrMismatchedKeysAreRefusedAtStart) {
  const Status weak = start(tls_file("weak_cert.pem"), tls_file("weak_key.pem"));
  EXPECT_FALSE(weak.ok());
  // OpenSSL's security level 2 ("ee key too small") or fenlei's own check ("too weak").
  EXPECT_TRUE(weak.message().find("too weak") != std::string::npos ||
              weak.message().find("too small") != std::string::npos)
      << weak.message();
  server_.reset();
  const Status mismatched = start(tls_file("cert.pem"), tls_file("weak_key.pem"));
  EXPECT_FALSE(mismatched.ok());
  server_.reset();
  const Status missing = start(tls_file("nope.pem"), tls_file("key.pem"));
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("--tls-cert"), std::string::npos) << missing.message();
}

}  // namespace
}  // namespace fenlei::server
