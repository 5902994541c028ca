// The HTTP API as plain functions of (Service, HttpRequest): routing, the handlers, metrics and the
// access log. No sockets here: server.cc feeds it from httplib, tests call it directly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/batcher.h"
#include "server/http_types.h"
#include "server/metrics.h"
#include "server/model_registry.h"

namespace fenlei::server {

struct ServiceOptions {
  BatcherOptions batcher;
  size_t max_body_bytes = 1 << 20;  // request bodies over this are refused with 413
  int64_t timeout_ms = 10000;       // queueing + prediction time before a 504
  // Origins (e.g. "https://ops.example.com") whose browser pages may call this server; a request
  // with any other Origin header may not change state (:reload). Same-origin always may.
  std::vector<std::string> allowed_origins;
};

// Thread-safe: handle() is called concurrently from the HTTP threads.
class Service {
 public:
  Service(std::unique_ptr<Registry> registry, ServiceOptions options);
  ~Service();

  // Routes one request and records it (metrics, access log line).
  HttpResponse handle(const HttpRequest& request);

  // Readiness goes false and new predictions get 503; requests already admitted carry on.
  void begin_drain() { draining_.store(true); }
  bool draining() const { return draining_.load(); }
  bool ready() const { return !draining_.load(); }
  // Requests inside handle() right now.
  int64_t in_flight() const { return in_flight_.load(); }
  // Fails queued predictions with 503 and stops the workers (after draining).
  void stop_workers() { batcher_.shutdown(); }

  // Reloads every model; returns the number that failed (each is logged and counted).
  int reload_all();

  // Records a response that never reached handle() (e.g. httplib's own 413) and logs it.
  void record(std::string_view method, std::string_view path, int status, uint64_t latency_ns);

  // Appends more Prometheus text to every /metrics answer (e.g. the front end's connection
  // counters). Set before the server takes requests.
  void set_extra_metrics(std::function<void(std::string&)> render) {
    extra_metrics_ = std::move(render);
  }

  Registry& registry() { return *registry_; }
  Metrics& metrics() { return metrics_; }
  const ServiceOptions& options() const { return options_; }

  // The handlers, public so that tests can call them one by one.
  HttpResponse predict(std::string_view model, std::string_view body);
  HttpResponse reload(std::string_view model);
  HttpResponse explain(std::string_view model, std::string_view body);
  HttpResponse model_status(std::string_view model);
  HttpResponse model_metadata(std::string_view model);
  HttpResponse health_live();
  HttpResponse health_ready();
  HttpResponse metrics_text();

 private:
  HttpResponse route(const HttpRequest& request, Route* route_out);
  HttpResponse unknown_model(std::string_view model) const;
  // Requests that change state must not be forgeable by a web page on another site: a refusal
  // unless the body is declared JSON (a cross-origin page cannot send that without a CORS
  // preflight, which this server never grants) and any Origin is this server or an allowed one.
  std::optional<HttpResponse> refuse_cross_site(const HttpRequest& request) const;
  // The checks every model request passes before any work: the model is served (*slot set), the
  // server is not draining, the body fits. The refusal to send, or nothing.
  std::optional<HttpResponse> admit(std::string_view model, std::string_view body,
                                    ModelSlot** slot) const;

  ServiceOptions options_;
  std::unique_ptr<Registry> registry_;
  Metrics metrics_;
  Batcher batcher_;
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> in_flight_{0};
  std::function<void(std::string&)> extra_metrics_;
};

// Which route a path names and, for /v1/models/..., the model name in it.
Route classify_path(std::string_view path, std::string_view* model);

}  // namespace fenlei::server
