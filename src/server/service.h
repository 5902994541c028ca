// The HTTP API as plain functions of (Service, HttpRequest): routing, the handlers, metrics and the
// access log. No sockets here: server.cc feeds it from httplib, tests call it directly.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/batcher.h"
#include "server/http_types.h"
#include "server/metrics.h"
#include "server/model_registry.h"

namespace fenlei::server {

// A bearer token from --auth-token-file; admin tokens may also change state (:reload).
struct AuthToken {
  std::string token;
  bool admin = false;
};

struct ServiceOptions {
  BatcherOptions batcher;
  size_t max_body_bytes = 1 << 20;  // request bodies over this are refused with 413
  int64_t timeout_ms = 10000;       // queueing + prediction time before a 504
  // Origins (e.g. "https://ops.example.com") whose browser pages may call this server; a request
  // with any other Origin header may not change state (:reload). Same-origin always may.
  std::vector<std::string> allowed_origins;
  // Bearer tokens; empty: no authentication. Health probes are always open.
  std::vector<AuthToken> auth_tokens;
  // True with --admin-port: state-changing requests (:reload) are served only there, and
  // there without a token (the port is bound to loopback).
  bool admin_port_only = false;
  // One JSON object a line per request: "" none, "-" stdout, else a file appended to.
  std::string access_log;
  bool ui = true;  // GET / serves the try-a-model page (ui_page.h); --no-ui turns it off
};

// Where a path leads: the route and, for model routes, the model and version named in it.
struct RouteMatch {
  Route route = Route::kOther;
  std::string_view model;
  std::string_view version;  // from .../versions/{v}/...; empty when the path names none
};
RouteMatch match_route(std::string_view path);

// Thread-safe: handle() is called concurrently from the HTTP threads.
class Service {
 public:
  Service(std::unique_ptr<Registry> registry, ServiceOptions options);
  ~Service();

  // Routes one request and records it (metrics, access log line). Every response carries an
  // X-Request-ID: the client's (if it sent a sane one) or a new one.
  HttpResponse handle(const HttpRequest& request);
  // False if the access log file could not be opened (the message says why).
  const Status& access_log_status() const { return access_log_status_; }

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
  HttpResponse model_list();
  HttpResponse v2_server_metadata();
  HttpResponse v2_model_metadata(std::string_view model, std::string_view version);
  HttpResponse v2_model_ready(std::string_view model, std::string_view version);
  // `header_length`: the Inference-Header-Content-Length header (binary tensor data), or "".
  HttpResponse v2_infer(std::string_view model, std::string_view version, std::string_view body,
                        std::string_view header_length);

 private:
  HttpResponse route(const HttpRequest& request, const RouteMatch& match);
  // 401/403 unless the request carries a token good for `route` (when tokens are configured).
  std::optional<HttpResponse> refuse_unauthorized(const HttpRequest& request, Route route) const;
  // Runs `texts` through the batcher; the error response instead when it fails or times out.
  std::optional<HttpResponse> run_predictions(ModelSlot* slot, std::vector<std::string> texts,
                                              const PredictOptions& options,
                                              std::vector<Prediction>* out);
  // 404 unless `version` is empty or the version `slot` serves now.
  std::optional<HttpResponse> refuse_version(const ModelSlot& slot, std::string_view version) const;
  std::string new_request_id();
  void write_access_log(const HttpRequest& request, const RouteMatch& match,
                        std::string_view request_id, int status, uint64_t latency_ns);
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
  std::string ui_page_;  // GET /, built once: the served models are fixed at start-up
  Metrics metrics_;
  Batcher batcher_;
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> in_flight_{0};
  std::function<void(std::string&)> extra_metrics_;
  std::atomic<uint64_t> request_counter_{0};
  std::string request_id_prefix_;
  std::FILE* access_log_ = nullptr;
  bool access_log_owned_ = false;
  std::mutex access_log_mutex_;
  Status access_log_status_;
  // Requests per model by status class (1xx..5xx), for fenlei_model_requests_total.
  std::map<std::string, std::array<std::atomic<uint64_t>, 5>, std::less<>> model_requests_;
  double started_unix_ = 0;
};

// Which route a path names and, for model routes, the model name in it (match_route's short form).
Route classify_path(std::string_view path, std::string_view* model);

}  // namespace fenlei::server
