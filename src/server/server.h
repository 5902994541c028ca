// The HTTP front end: binds a socket, feeds requests from cpp-httplib's connection threads into a
// Service, and shuts down gracefully (stop accepting, finish in-flight work, then stop).
//
//   auto server = Server::create({{"reviews", "reviews.fenlei"}}, loader, ServerOptions{});
//   if (!server.ok() || !(*server)->start().ok()) ...;
//   std::cout << "serving on " << (*server)->url() << std::endl;
//   (*server)->wait();  // returns after shutdown(), e.g. from a SIGTERM handler thread
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fenlei/status.h"
#include "server/service.h"

namespace httplib {
class Server;
}

namespace fenlei::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked otherwise
  int port = 8080;                 // 0 picks a free port; see Server::port()
  // httplib serves each keep-alive connection on one thread for its lifetime, so this bounds the
  // number of connections served at once: one more waits in httplib's queue until another closes
  // (seconds with keep-alive), so leave headroom over the expected client connections. Each
  // thread is started up front and costs ~70 KB of resident memory.
  int http_threads = 128;
  int read_timeout_s = 10;         // per socket read while receiving a request
  int drain_timeout_s = 10;        // how long shutdown() waits for in-flight requests
  bool ui = true;                  // GET / serves the try-a-model page (server/ui_page.h)
  ServiceOptions service;
};

// Thread-safe: shutdown() may be called from any thread, any number of times.
class Server {
 public:
  // Loads every model (through `loader`) and starts the prediction workers; does not bind yet.
  static StatusOr<std::unique_ptr<Server>> create(const std::vector<ModelSpec>& models,
                                                  const PredictorLoader& loader,
                                                  ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting on a background thread. UNAVAILABLE if the address cannot be bound.
  Status start();
  int port() const { return port_; }
  std::string url() const;

  // Graceful stop: readiness goes 503, the listening socket closes, in-flight requests get up to
  // drain_timeout_s to finish, queued ones still waiting after that get 503, threads are joined.
  void shutdown();
  // Blocks until shutdown() has completed.
  void wait();

  Service& service() { return *service_; }

 private:
  Server(std::unique_ptr<Service> service, ServerOptions options);
  void install_routes();

  ServerOptions options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<httplib::Server> http_;
  std::thread listen_thread_;
  int port_ = -1;
  int listen_fd_ = -1;  // the listening socket, seen in httplib's socket-options callback
  std::mutex mutex_;
  std::condition_variable stopped_cv_;
  bool started_ = false;
  bool shutting_down_ = false;
  bool stopped_ = false;
  std::atomic<bool> listen_returned_{false};
};

}  // namespace fenlei::server
