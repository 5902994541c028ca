#include "server/server.h"

#include <chrono>

#include "fenlei/log.h"

namespace fenlei::server {
namespace {

using Clock = std::chrono::steady_clock;

// Requests answered on the event-loop thread, never behind busy workers, and the only ones
// answered on the connection slots kept for probes: health and metrics, which cost microseconds.
bool is_probe(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") return false;
  std::string_view model;
  const Route route = classify_path(request.path, &model);
  return route == Route::kHealthLive || route == Route::kHealthReady || route == Route::kMetrics;
}

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::create(const std::vector<ModelSpec>& models,
                                                 const PredictorLoader& loader,
                                                 ServerOptions options) {
  if (options.port < 0 || options.port > 65535) {
    return invalid_argument_error("port " + std::to_string(options.port) + " is not in 0-65535");
  }
  if (options.admin_port > 65535) {
    return invalid_argument_error("admin port " + std::to_string(options.admin_port) +
                                  " is not in 0-65535");
  }
  options.service.admin_port_only = options.admin_port >= 0;
  FENLEI_ASSIGN_OR_RETURN(auto registry, Registry::create(models, loader));
  auto service = std::make_unique<Service>(std::move(registry), options.service);
  FENLEI_RETURN_IF_ERROR(service->access_log_status());
  return std::unique_ptr<Server>(new Server(std::move(service), std::move(options)));
}

Server::Server(std::unique_ptr<Service> service, ServerOptions options)
    : options_(std::move(options)), service_(std::move(service)) {
  FrontEndOptions front = options_.connections;
  front.host = options_.host;
  front.port = options_.port;
  front.worker_threads = options_.http_threads;
  front.limits.max_body_bytes = options_.service.max_body_bytes;
  Service* svc = service_.get();
  FrontEndHandlers handlers;
  handlers.handle = [svc](const HttpRequest& request) { return svc->handle(request); };
  handlers.is_probe = is_probe;
  handlers.record = [svc](std::string_view method, std::string_view path, int status) {
    svc->record(method, path, status, 0);
  };
  if (options_.admin_port >= 0) {
    // Loopback only, plain HTTP, a few connections: for operators on the machine.
    FrontEndOptions admin;
    admin.host = "127.0.0.1";
    admin.port = options_.admin_port;
    admin.worker_threads = 2;
    admin.max_connections = 64;
    admin.limits.max_body_bytes = options_.service.max_body_bytes;
    FrontEndHandlers admin_handlers = handlers;
    admin_handlers.handle = [svc](const HttpRequest& request) {
      HttpRequest marked = request;
      marked.admin_listener = true;
      return svc->handle(marked);
    };
    admin_handlers.is_probe = nullptr;
    admin_ = std::make_unique<FrontEnd>(std::move(admin), std::move(admin_handlers));
  }
  front_end_ = std::make_unique<FrontEnd>(std::move(front), std::move(handlers));
  const FrontEnd* fe = front_end_.get();
  service_->set_extra_metrics([fe](std::string& out) {
    const FrontEndStats s = fe->stats();
    out += "# HELP fenlei_open_connections Client connections open now (probe slots included).\n"
           "# TYPE fenlei_open_connections gauge\nfenlei_open_connections " +
           std::to_string(s.open_connections + s.probe_connections) + "\n";
    out += "# HELP fenlei_refused_connections_total Connections refused with 503 over the caps.\n"
           "# TYPE fenlei_refused_connections_total counter\nfenlei_refused_connections_total " +
           std::to_string(s.refused_connections) + "\n";
    out += "# HELP fenlei_connection_timeouts_total Connections closed for a missed deadline.\n"
           "# TYPE fenlei_connection_timeouts_total counter\nfenlei_connection_timeouts_total " +
           std::to_string(s.timed_out) + "\n";
  });
}

Server::~Server() { shutdown(); }

std::string Server::url() const {
  const bool v6 = options_.host.find(':') != std::string::npos;
  return std::string(front_end_->tls() ? "https://" : "http://") + (v6 ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(port_);
}

Status Server::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return failed_precondition_error("server already started");
  FENLEI_RETURN_IF_ERROR(front_end_->bind());
  if (admin_) FENLEI_RETURN_IF_ERROR(admin_->bind());
  port_ = front_end_->port();
  front_end_->start();
  if (admin_) admin_->start();
  started_ = true;
  return Status::ok_status();
}

void Server::shutdown() {
  bool started;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (shutting_down_) {
      // Another thread is draining: wait for it, so every caller returns after the stop.
      stopped_cv_.wait(lock, [&] { return stopped_; });
      return;
    }
    shutting_down_ = true;
    started = started_;
  }
  FENLEI_LOG(kInfo) << "shutting down: draining " << service_->in_flight()
                    << " request(s) in progress, at most " << options_.drain_timeout_s << " s";
  const auto deadline = Clock::now() + std::chrono::seconds(options_.drain_timeout_s);
  // The front end first: once readiness says 503, every answer already says "Connection: close".
  if (started) {
    front_end_->begin_drain(deadline);
    if (admin_) admin_->begin_drain(deadline);
  }
  service_->begin_drain();
  if (started) {
    if (!front_end_->wait_drained(deadline)) {
      FENLEI_LOG(kWarning) << "drain timeout: requests still in progress are answered 503";
    }
  }
  // Fails predictions still queued with 503, so their worker threads return and answer.
  service_->stop_workers();
  if (started) {
    front_end_->stop(std::chrono::milliseconds(1000));
    if (admin_) admin_->stop(std::chrono::milliseconds(0));
  }
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
