// The real Server, serving the fake "reviews" model (fake_predictor.h) on an ephemeral loopback
// port: the fixture of the tests that talk to it over sockets (http_server_test,
// hostile_clients_test, ui_page_test). Derive a fixture of the test's own name from it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "fake_predictor.h"
#include "server/server.h"

namespace fenlei::server::testing {

class ServerFixture : public ::testing::Test {
 protected:
  // Starts the server with OPTIONS, on 127.0.0.1 and a port the kernel picks.
  void start(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto server = Server::create({{"reviews", "good.fenlei"}}, fake_loader(control_), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) server_->shutdown();
  }
  int port() const { return server_->port(); }

  std::shared_ptr<FakeControl> control_ = std::make_shared<FakeControl>();
  std::unique_ptr<Server> server_;
};

}  // namespace fenlei::server::testing
