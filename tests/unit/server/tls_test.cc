// TLS in the front end (issue 13): HTTPS with a real client, keep-alive over TLS, plain HTTP sent
// to the TLS port, weak keys refused, certificate reload.
#include <gtest/gtest.h>
#include <httplib.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

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

// A blocking OpenSSL client on a raw socket: the test controls records and sessions itself.
class TlsClient {
 public:
  TlsClient(SSL_CTX* ctx, int port, SSL_SESSION* resume) : socket_(port) {
    timeval timeout{10, 0};
    ::setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, socket_.fd());
    if (resume) SSL_set_session(ssl_, resume);
    handshake_ok_ = SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  bool ok() const { return handshake_ok_; }
  SSL* ssl() { return ssl_; }
  // One SSL_write, so one TLS record.
  bool write(const std::string& bytes) {
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
           static_cast<int>(bytes.size());
  }
  // Reads until `count` complete responses (Content-Length bodies) have arrived.
  std::string read_responses(int count) {
    std::string in;
    char buf[4096];
    while (complete_responses(in) < count) {
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    return in;
  }

 private:
  static int complete_responses(const std::string& in) {
    int count = 0;
    size_t at = 0;
    for (;;) {
      const size_t end = in.find("\r\n\r\n", at);
      if (end == std::string::npos) return count;
      const size_t length_at = in.find("Content-Length: ", at);
      if (length_at == std::string::npos || length_at > end) return count;
      const size_t body = std::stoul(in.substr(length_at + 16));
      if (in.size() < end + 4 + body) return count;
      at = end + 4 + body;
      ++count;
    }
  }
  testing::RawConnection socket_;
  SSL* ssl_ = nullptr;
  bool handshake_ok_ = false;
};

TEST_F(TlsTest, PrefersAes128GcmAnswersRequestsInSeparateRecordsAndResumesSessions) {
  ASSERT_TRUE(start(tls_file("cert.pem"), tls_file("key.pem")).ok());
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, tls_file("cert.pem").c_str(), nullptr), 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_SESSION* session = nullptr;
  {
    TlsClient client(ctx, server_->port(), nullptr);
    ASSERT_TRUE(client.ok());
    // OpenSSL's client lists AES-256-GCM first; the server's preference wins.
    EXPECT_STREQ(SSL_get_cipher_name(client.ssl()), "TLS_AES_128_GCM_SHA256");
    // Three requests in three records sent back to back: with read-ahead one recv() can take
    // them all into the server's TLS session, out of epoll's sight; all must be answered.
    const std::string request = "GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n";
    const std::string predict =
        "POST /v1/models/reviews:predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json"
        "\r\nContent-Length: 25\r\n\r\n{\"instances\": [\"很好\"]}";
    ASSERT_TRUE(client.write(predict));
    ASSERT_TRUE(client.write(request));
    ASSERT_TRUE(client.write(predict));
    const std::string answers = client.read_responses(3);
    size_t ok = 0;
    for (size_t at = answers.find("HTTP/1.1 200"); at != std::string::npos;
         at = answers.find("HTTP/1.1 200", at + 1)) {
      ++ok;
    }
    EXPECT_EQ(ok, 3u) << answers;
    // TLS 1.3 sends the session ticket after the handshake; it has arrived with the answers.
    session = SSL_get1_session(client.ssl());
    ASSERT_NE(session, nullptr);
    EXPECT_EQ(SSL_SESSION_is_resumable(session), 1);
  }
  {
    TlsClient again(ctx, server_->port(), session);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(SSL_session_reused(again.ssl()), 1);
    ASSERT_TRUE(again.write("GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n"));
    EXPECT_NE(again.read_responses(1).find("HTTP/1.1 200"), std::string::npos);
  }
  SSL_SESSION_free(session);
  SSL_CTX_free(ctx);
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
