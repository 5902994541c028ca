// The HTTP/1.1 front end: one epoll thread owns every connection and reads requests with
// deadlines; only complete requests go to a pool of worker threads, which run the handler.
//
// Why not cpp-httplib's server (what fenlei used before): it gives each connection a thread for
// the connection's lifetime, and its only timeout is per read() call. 130 clients sending a header
// byte per second held all 128 threads, so every other client waited; one such client kept its
// connection forever. It also buffered a chunked body whole before comparing it with the limit,
// and answered only the first of several pipelined requests. Here an idle or slow connection costs
// a file descriptor and a few hundred bytes, never a thread, and every phase of a request has a
// deadline (see FrontEndOptions).
//
// Order: a connection has at most one request at a worker; requests pipelined behind it wait in
// its input buffer and are answered in order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fenlei/status.h"
#include "server/http_parser.h"
#include "server/http_types.h"
#include "server/tls.h"

namespace fenlei::server {

struct FrontEndOptions {
  std::string host = "127.0.0.1";
  int port = 8080;          // 0 picks a free port
  int worker_threads = 64;  // threads that run handlers (a prediction may run on one)
  // Open connections. Past either cap a connection is still accepted onto one of
  // `probe_connections` reserved slots, where only probe requests (health, metrics) are answered
  // and deadlines are short, so a flood of connections cannot hide a healthy server from its
  // orchestrator; past those it gets a 503 and is closed.
  int max_connections = 4096;
  int max_connections_per_client = 256;  // per peer IP address
  int probe_connections = 8;
  // Deadlines. idle: from connect (or the end of the previous response) to the first byte of a
  // request. request line, headers: from that first byte. body: from the end of the headers.
  // write: to send a response. A missed read deadline is answered 408 and the connection closed.
  int idle_timeout_ms = 5000;
  int request_line_timeout_ms = 5000;
  int header_timeout_ms = 10000;
  int body_timeout_ms = 30000;
  int write_timeout_ms = 10000;
  ParserLimits limits;
  // Both set: connections speak TLS (see tls.h for what is refused); plain HTTP to the port gets a
  // plain-text 400 saying to use https.
  std::string tls_cert, tls_key;
};

struct FrontEndHandlers {
  // Runs on a worker thread (or, for probes, on the event-loop thread).
  std::function<HttpResponse(const HttpRequest&)> handle;
  // Cheap requests that are answered on the event-loop thread itself, never queued behind busy
  // workers, and the only ones answered on reserved probe slots.
  std::function<bool(const HttpRequest&)> is_probe;
  // A response the front end made itself (400/408/413/414/431/503...): for metrics and logs.
  // `method` and `path` are empty when the request line never arrived.
  std::function<void(std::string_view method, std::string_view path, int status)> record;
};

// Counters for /metrics and tests.
struct FrontEndStats {
  int64_t open_connections = 0;
  int64_t probe_connections = 0;
  int64_t refused_connections = 0;  // over every cap, answered 503 at once
  int64_t timed_out = 0;            // closed for a missed read or write deadline
};

class FrontEnd {
 public:
  FrontEnd(FrontEndOptions options, FrontEndHandlers handlers);
  ~FrontEnd();
  FrontEnd(const FrontEnd&) = delete;
  FrontEnd& operator=(const FrontEnd&) = delete;

  // Binds and listens. UNAVAILABLE if the address cannot be bound.
  Status bind();
  int port() const { return port_; }
  // Starts the event loop and the workers.
  void start();

  // Graceful drain: stops accepting; from now on every response says "Connection: close". Idle
  // keep-alive connections stay open (a request they send still gets an answer) until stop().
  // At `deadline`, requests still arriving are answered 503 and their connections closed.
  void begin_drain(std::chrono::steady_clock::time_point deadline);
  // Returns when no connection has a request in progress (partly received, at a worker, or being
  // written), true, or at the deadline, false.
  bool wait_drained(std::chrono::steady_clock::time_point deadline);
  // Closes every connection and joins the threads. Responses still at a worker get up to
  // `grace` to be written first.
  void stop(std::chrono::milliseconds grace);

  FrontEndStats stats() const;
  bool tls() const { return !options_.tls_cert.empty(); }
  // Loads --tls-cert/--tls-key again (after a renewal); connections accepted from then on use
  // them. On error the old ones stay in use.
  Status reload_tls();

 private:
  struct Connection;
  struct Job {
    uint64_t connection_id;
    ParsedRequest request;
    bool keep_alive;
    std::string client;
  };
  struct Done {
    uint64_t connection_id;
    std::string bytes;
    bool close;
  };
  using Clock = std::chrono::steady_clock;

  void loop();
  void worker();
  void accept_all(Clock::time_point now);
  void on_event(Connection& c, uint32_t events, Clock::time_point now);
  void read_from(Connection& c, Clock::time_point now);
  void process_input(Connection& c, Clock::time_point now);
  // Reads what a TLS session already holds (read ahead or decrypted), which epoll cannot see.
  void read_tls_pending(Connection& c, Clock::time_point now);
  void dispatch(Connection& c, ParsedRequest request, Clock::time_point now);
  void respond(Connection& c, const HttpResponse& response, bool keep_alive, bool head,
               Clock::time_point now);
  void refuse(Connection& c, int status, const std::string& message, Clock::time_point now);
  void write_to(Connection& c, Clock::time_point now);
  void take_completions(Clock::time_point now);
  void sweep(Clock::time_point now);
  void update_interest(Connection& c);
  void close_connection(uint64_t id);
  bool has_work(const Connection& c) const;
  Clock::time_point deadline_of(const Connection& c) const;
  void wake();
  // Socket I/O through TLS when on: bytes read/written (> 0), 0 for EOF, -1 with errno set.
  ssize_t receive(Connection& c, char* buf, size_t n);
  ssize_t transmit(Connection& c, const char* data, size_t n);

  FrontEndOptions options_;
  FrontEndHandlers handlers_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = -1;

  // Event-loop thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, int> per_client_;
  uint64_t next_id_ = 2;  // 0 and 1 are the listening socket and the wake-up eventfd
  Clock::time_point last_sweep_{};
  Clock::time_point accept_paused_until_{};
  bool listening_ = false;

  // Shared with the other threads.
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> drain_deadline_ns_{0};  // steady_clock time since epoch; 0 = none
  std::atomic<int64_t> busy_connections_{0};   // connections with a request in progress
  std::atomic<int64_t> open_{0}, probe_open_{0}, refused_{0}, timed_out_{0};
  std::mutex jobs_mutex_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;
  std::mutex done_mutex_;
  std::vector<Done> done_;
  std::mutex state_mutex_;
  std::condition_variable state_cv_;  // busy_connections_ reached 0, or the loop ended

  std::mutex tls_mutex_;
  std::shared_ptr<const TlsContext> tls_context_;

  std::thread loop_thread_;
  std::vector<std::thread> workers_;
};

}  // namespace fenlei::server
