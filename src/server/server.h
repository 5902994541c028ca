// The HTTP server: a FrontEnd (epoll connections with deadlines and caps, worker threads) feeding
// complete requests into a Service, and a graceful shutdown (stop accepting, finish in-flight
// work, answer late arrivals with 503 and "Connection: close", then stop).
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
#include "server/front_end.h"
#include "server/service.h"

namespace fenlei::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked otherwise
  int port = 8080;                 // 0 picks a free port; see Server::port()
  // Threads that run request handlers (a prediction may run on one of them, see
  // BatcherOptions::caller_runs). Connections are not tied to threads: thousands may be open.
  int http_threads = 64;
  int drain_timeout_s = 10;        // how long shutdown() waits for requests in progress
  // >= 0: a second listener on 127.0.0.1 for admin requests (:reload), which the data port then
  // refuses; 0 picks a free port (see admin_port()). -1: none.
  int admin_port = -1;
  // Connection caps and per-phase deadlines. Its host, port, worker_threads and
  // limits.max_body_bytes are set from the fields above and service.max_body_bytes.
  FrontEndOptions connections;
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

  // Graceful stop: readiness goes 503, the listening socket closes, requests in progress (also
  // ones still arriving) get up to drain_timeout_s to finish, each answered with "Connection:
  // close"; after that, predictions still queued and requests still arriving get 503, and the
  // threads are joined.
  void shutdown();
  // Blocks until shutdown() has completed.
  void wait();

  Service& service() { return *service_; }
  FrontEndStats connection_stats() const { return front_end_->stats(); }
  int admin_port() const { return admin_ ? admin_->port() : -1; }
  // Reloads the TLS certificate and key (no-op without TLS); see FrontEnd::reload_tls.
  Status reload_tls() { return front_end_->tls() ? front_end_->reload_tls() : Status(); }

 private:
  Server(std::unique_ptr<Service> service, ServerOptions options);

  ServerOptions options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<FrontEnd> front_end_;
  std::unique_ptr<FrontEnd> admin_;  // --admin-port; null without
  int port_ = -1;
  std::mutex mutex_;
  std::condition_variable stopped_cv_;
  bool started_ = false;
  bool shutting_down_ = false;
  bool stopped_ = false;
};

}  // namespace fenlei::server
