#include "server/server.h"

#include <httplib.h>

#include <sys/socket.h>

#include <chrono>

#include "fenlei/log.h"
#include "server/json_codec.h"
#include "server/ui_page.h"

namespace fenlei::server {
namespace {

using Clock = std::chrono::steady_clock;

void send(HttpResponse&& in, httplib::Response& out) {
  out.status = in.status;
  out.body = std::move(in.body);
  out.set_header("Content-Type", in.content_type);
  if (!in.allow.empty()) out.set_header("Allow", in.allow);
}

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::create(const std::vector<ModelSpec>& models,
                                                 const PredictorLoader& loader,
                                                 ServerOptions options) {
  if (options.port < 0 || options.port > 65535) {
    return invalid_argument_error("port " + std::to_string(options.port) + " is not in 0-65535");
  }
  FENLEI_ASSIGN_OR_RETURN(auto registry, Registry::create(models, loader));
  auto service = std::make_unique<Service>(std::move(registry), options.service);
  return std::unique_ptr<Server>(new Server(std::move(service), std::move(options)));
}

Server::Server(std::unique_ptr<Service> service, ServerOptions options)
    : options_(std::move(options)), service_(std::move(service)),
      http_(std::make_unique<httplib::Server>()) {
  install_routes();
}

Server::~Server() { shutdown(); }

std::string Server::url() const {
  const bool v6 = options_.host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(port_);
}

void Server::install_routes() {
  httplib::Server& http = *http_;
  const int threads = std::max(1, options_.http_threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  // httplib compares Content-Length with this before reading and answers 413 itself; the
  // Service checks again for bodies without a length (chunked).
  http.set_payload_max_length(options_.service.max_body_bytes);
  http.set_read_timeout(options_.read_timeout_s, 0);
  http.set_write_timeout(options_.read_timeout_s, 0);
  http.set_keep_alive_max_count(10000);
  http.set_keep_alive_timeout(5);
  http.set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which would let a second server silently share our
  // port (and half our traffic); SO_REUSEADDR alone still allows a quick restart.
  http.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;  // the last one offered is the one that binds (see start())
  });

  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    const HttpRequest request{req.method, req.path, req.body};
    send(service_->handle(request), res);
  };
  // Every method goes through Service::handle, which does its own routing (and 404/405) so that
  // it stays testable without sockets; ".*" is the only pattern httplib matches.
  if (options_.ui) install_ui_route(http, service_->registry());  // before ".*": first match wins
  http.Get(".*", handler);
  http.Post(".*", handler);
  http.Put(".*", handler);
  http.Patch(".*", handler);
  http.Delete(".*", handler);
  http.Options(".*", handler);

  // `curl -X POST .../m:reload` sends no Content-Length, which httplib refuses (400) before any
  // handler runs. A reload needs no body, so answer it before httplib tries to read one; only
  // when there is none, so no unread bytes are left on a keep-alive connection.
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::string_view model;
    if (req.method != "POST" || classify_path(req.path, &model) != Route::kReload ||
        req.has_header("Transfer-Encoding") ||
        (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    send(service_->handle(HttpRequest{req.method, req.path, {}}), res);
    return httplib::Server::HandlerResponse::Handled;
  });

  // Errors httplib produces itself (413 from the payload limit, 400 for a malformed request
  // line) would otherwise go out with an empty body; give them the API's JSON shape.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    if (res.status == 413) {
      message = "request body is over the limit of " +
                std::to_string(options_.service.max_body_bytes) +
                " bytes; split the instances over several requests";
    } else if (res.status == 400) {
      message = "malformed HTTP request (a POST needs a Content-Length or a chunked body)";
    } else {
      message = "HTTP error " + std::to_string(res.status);
    }
    res.body = error_json(message);
    res.set_header("Content-Type", "application/json");
    service_->record(req.method, req.path, res.status, 0);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.body = error_json("internal error");
        res.set_header("Content-Type", "application/json");
      });
}

Status Server::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return failed_precondition_error("server already started");
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
  } else {
    port_ = http_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ < 0) {
    return unavailable_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) +
                             " (address in use or not local?); pick another --host/--port");
  }
  // httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed when the library was
  // built). When 64 clients connect at once the accept queue overflows, the kernel drops their
  // handshake ACKs and those connections stall for a SYN-ACK retransmit cycle: seconds. Measured
  // with wrk -c64: p99 2.9-5.5 s and ListenOverflows growing. Linux lets listen() be called
  // again on a listening socket to raise its backlog.
  if (listen_fd_ >= 0 && ::listen(listen_fd_, SOMAXCONN) != 0) {
    FENLEI_LOG(kWarning) << "could not raise the listen backlog; bursts of new connections may stall";
  }
  started_ = true;
  listen_thread_ = std::thread([this] {
    http_->listen_after_bind();
    listen_returned_.store(true);
  });
  return Status::ok_status();
}

void Server::shutdown() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (shutting_down_) {
      // Another thread is draining: wait for it, so every caller returns after the stop.
      stopped_cv_.wait(lock, [&] { return stopped_; });
      return;
    }
    shutting_down_ = true;
  }
  FENLEI_LOG(kInfo) << "shutting down: draining " << service_->in_flight()
                    << " in-flight request(s), at most " << options_.drain_timeout_s << " s";
  service_->begin_drain();
  // Closes the listening socket; keep-alive connections end after their current request.
  // httplib's stop() is a no-op until its accept loop runs, so wait (briefly) for that first.
  bool started;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    started = started_;
  }
  const auto start_deadline = Clock::now() + std::chrono::seconds(2);
  while (started && !http_->is_running() && !listen_returned_.load() &&
         Clock::now() < start_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_->stop();
  const auto deadline = Clock::now() + std::chrono::seconds(options_.drain_timeout_s);
  while (service_->in_flight() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (service_->in_flight() > 0) {
    FENLEI_LOG(kWarning) << "drain timeout: " << service_->in_flight()
                         << " request(s) still running are answered 503";
  }
  service_->stop_workers();
  if (listen_thread_.joinable()) listen_thread_.join();  // joins httplib's connection threads
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  stopped_cv_.notify_all();
  FENLEI_LOG(kInfo) << "stopped";
}

void Server::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopped_cv_.wait(lock, [&] { return stopped_; });
}

}  // namespace fenlei::server
