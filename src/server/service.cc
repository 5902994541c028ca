#include "server/service.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "fenlei/log.h"
#include "server/json_codec.h"

namespace fenlei::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kModelsPrefix = "/v1/models/";

int http_status_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kUnimplemented: return 501;
    default: return 500;
  }
}

const char* allowed_method(Route route) {
  switch (route) {
    case Route::kPredict:
    case Route::kExplain:
    case Route::kReload: return "POST";
    default: return "GET, HEAD";
  }
}

bool method_allowed(Route route, std::string_view method) {
  if (route == Route::kPredict || route == Route::kExplain || route == Route::kReload)
    return method == "POST";
  return method == "GET" || method == "HEAD";
}

// Control characters in a (percent-decoded) path would let a client forge log lines.
std::string printable(std::string_view s) {
  std::string out(s.substr(0, 200));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

HttpResponse json_response(std::string body) {
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

// RAII count of requests inside handle(), which is what a drain waits for.
class InFlight {
 public:
  explicit InFlight(std::atomic<int64_t>& counter) : counter_(counter) { counter_.fetch_add(1); }
  ~InFlight() { counter_.fetch_sub(1); }

 private:
  std::atomic<int64_t>& counter_;
};

}  // namespace

Route classify_path(std::string_view path, std::string_view* model) {
  *model = {};
  if (path == "/v2/health/live") return Route::kHealthLive;
  if (path == "/v2/health/ready") return Route::kHealthReady;
  if (path == "/metrics") return Route::kMetrics;
  if (path.substr(0, kModelsPrefix.size()) != kModelsPrefix) return Route::kOther;
  std::string_view rest = path.substr(kModelsPrefix.size());
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (rest.substr(slash) != "/metadata" || slash == 0) return Route::kOther;
    *model = rest.substr(0, slash);
    return Route::kModelMetadata;
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    if (rest.empty()) return Route::kOther;
    *model = rest;
    return Route::kModelStatus;
  }
  if (colon == 0) return Route::kOther;
  const std::string_view verb = rest.substr(colon + 1);
  *model = rest.substr(0, colon);
  if (verb == "predict") return Route::kPredict;
  if (verb == "reload") return Route::kReload;
  if (verb == "explain") return Route::kExplain;
  *model = {};
  return Route::kOther;
}

Service::Service(std::unique_ptr<Registry> registry, ServiceOptions options)
    : options_(options), registry_(std::move(registry)), batcher_(options.batcher, &metrics_) {}

Service::~Service() { batcher_.shutdown(); }

HttpResponse Service::handle(const HttpRequest& request) {
  const auto start = Clock::now();
  InFlight in_flight(in_flight_);
  Route route = Route::kOther;
  HttpResponse response;
  try {
    response = this->route(request, &route);
  } catch (const std::exception& e) {  // e.g. bad_alloc: the client gets JSON, the process lives
    response = error_response(500, std::string("internal error: ") + e.what());
  }
  const uint64_t ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  metrics_.record_request(route, response.status, ns);
  FENLEI_LOG(kInfo) << request.method << ' ' << printable(request.path) << ' ' << response.status
                    << ' ' << static_cast<double>(ns / 1000) / 1000.0 << "ms";
  return response;
}

void Service::record(std::string_view method, std::string_view path, int status,
                     uint64_t latency_ns) {
  std::string_view model;
  metrics_.record_request(classify_path(path, &model), status, latency_ns);
  FENLEI_LOG(kInfo) << method << ' ' << printable(path) << ' ' << status << ' '
                    << static_cast<double>(latency_ns / 1000) / 1000.0 << "ms";
}

HttpResponse Service::route(const HttpRequest& request, Route* route_out) {
  std::string_view model;
  const Route route = classify_path(request.path, &model);
  *route_out = route;
  if (route == Route::kOther) {
    return error_response(
        404, "no such endpoint: " + printable(request.path) +
                 "; use POST /v1/models/{name}:predict, POST /v1/models/{name}:explain, "
                 "GET /v1/models/{name}[/metadata], "
                 "GET /v2/health/live, GET /v2/health/ready or GET /metrics");
  }
  if (!method_allowed(route, request.method)) {
    HttpResponse response = error_response(
        405, std::string(request.method) + " is not allowed on " + route_label(route) + "; use " +
                 allowed_method(route));
    response.allow = allowed_method(route);
    return response;
  }
  if (route == Route::kReload) {
    if (auto refused = refuse_cross_site(request)) return *refused;
  }
  switch (route) {
    case Route::kPredict: return predict(model, request.body);
    case Route::kReload: return reload(model);
    case Route::kExplain: return explain(model, request.body);
    case Route::kModelStatus: return model_status(model);
    case Route::kModelMetadata: return model_metadata(model);
    case Route::kHealthLive: return health_live();
    case Route::kHealthReady: return health_ready();
    case Route::kMetrics: return metrics_text();
    case Route::kOther:
    case Route::kCount: break;
  }
  return error_response(500, "internal error: unrouted request");
}

std::optional<HttpResponse> Service::refuse_cross_site(const HttpRequest& request) const {
  const std::string_view origin = request.header("origin");
  if (!origin.empty()) {
    const std::string_view host = request.header("host");
    const bool same = !host.empty() && (origin == "http://" + std::string(host) ||
                                        origin == "https://" + std::string(host));
    const bool allowed = std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(),
                                   origin) != options_.allowed_origins.end();
    if (!same && !allowed) {
      return error_response(403, "requests from origin '" + printable(origin) +
                                     "' may not change this server; add it with --cors-origin");
    }
  }
  std::string_view type = request.header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  std::string lowered(type);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered != "application/json") {
    return error_response(415, "send this request with 'Content-Type: application/json' (and an "
                               "empty body or {}), e.g. curl -X POST -H 'Content-Type: "
                               "application/json' URL");
  }
  if (!request.body.empty() &&
      nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false).is_discarded()) {
    return error_response(400, "the body of a reload must be empty or JSON");
  }
  return std::nullopt;
}

HttpResponse Service::unknown_model(std::string_view model) const {
  return error_response(404, "model '" + printable(model) + "' is not served here; served: " +
                                 registry_->names());
}

std::optional<HttpResponse> Service::admit(std::string_view model, std::string_view body,
                                           ModelSlot** slot) const {
  *slot = registry_->find(model);
  if (!*slot) return unknown_model(model);
  if (draining()) return error_response(503, "the server is shutting down; retry on another replica");
  if (body.size() > options_.max_body_bytes) {
    return error_response(413, "request body is " + std::to_string(body.size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(options_.max_body_bytes) +
                                   "; split the instances over several requests");
  }
  return std::nullopt;
}

HttpResponse Service::predict(std::string_view model, std::string_view body) {
  ModelSlot* slot = nullptr;
  if (auto refused = admit(model, body, &slot)) return *refused;
  auto request = parse_predict_request(body);
  if (!request.ok()) return error_response(400, request.status().message());

  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  auto job = batcher_.submit(slot, std::move(request->instances), request->options);
  if (!job.ok()) return error_response(http_status_for(job.status()), job.status().message());
  auto predictions = (*job)->wait_until(deadline);
  if (!predictions.ok()) {
    if (predictions.status().code() == StatusCode::kDeadlineExceeded) {
      return error_response(504, "the prediction did not finish within " +
                                     std::to_string(options_.timeout_ms) +
                                     " ms; retry later, send fewer instances, or raise --timeout-ms");
    }
    return error_response(http_status_for(predictions.status()), predictions.status().message());
  }
  return json_response(write_predictions(*predictions));
}

HttpResponse Service::explain(std::string_view model, std::string_view body) {
  ModelSlot* slot = nullptr;
  if (auto refused = admit(model, body, &slot)) return *refused;
  auto request = parse_explain_request(body);
  if (!request.ok()) return error_response(400, request.status().message());
  // Explanations run on the connection thread, outside the batcher: each one is already a batch
  // (the text and its shortened copies), and they are rare next to predictions.
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  const std::shared_ptr<const Predictor> predictor = slot->current();
  std::vector<Explanation> explanations;
  for (const std::string& text : request->instances) {
    if (Clock::now() > deadline) {
      return error_response(504, "the explanations did not finish within " +
                                     std::to_string(options_.timeout_ms) +
                                     " ms; send fewer or shorter instances, or raise --timeout-ms");
    }
    auto e = predictor->explain(text, request->options);
    if (!e.ok()) return error_response(http_status_for(e.status()), e.status().message());
    explanations.push_back(std::move(*e));
  }
  return json_response(write_explanations(explanations));
}

HttpResponse Service::reload(std::string_view model) {
  ModelSlot* slot = registry_->find(model);
  if (!slot) return unknown_model(model);
  if (draining()) return error_response(503, "the server is shutting down; nothing was reloaded");
  ReloadResult result = slot->load();
  if (!result.status.ok()) {
    return error_response(500, "reload failed, still serving version " +
                                   std::to_string(result.version) + ": " +
                                   result.status.message());
  }
  nlohmann::json reply = {{"model", slot->name()},
                          {"version", std::to_string(result.version)},
                          {"load_seconds", result.load_seconds}};
  return json_response(reply.dump());
}

int Service::reload_all() {
  int failed = 0;
  for (ModelSlot* slot : registry_->slots()) {
    if (!slot->load().status.ok()) ++failed;
  }
  return failed;
}

HttpResponse Service::model_status(std::string_view model) {
  const ModelSlot* slot = registry_->find(model);
  if (!slot) return unknown_model(model);
  const std::string last_error = slot->last_error();
  nlohmann::json status = {
      {"version", std::to_string(slot->version())},
      {"state", draining() ? "UNLOADING" : "AVAILABLE"},
      {"status",
       {{"error_code", last_error.empty() ? "OK" : "UNKNOWN"},
        {"error_message", last_error.empty() ? "" : "last reload failed: " + last_error}}}};
  nlohmann::json reply = {{"model_version_status", nlohmann::json::array({status})}};
  return json_response(reply.dump());
}

HttpResponse Service::model_metadata(std::string_view model) {
  const ModelSlot* slot = registry_->find(model);
  if (!slot) return unknown_model(model);
  const auto predictor = slot->current();
  const ModelInfo& info = predictor->info();
  nlohmann::json reply = {
      {"name", slot->name()},
      {"version", std::to_string(slot->version())},
      {"path", slot->path()},
      {"architecture", info.architecture},
      {"labels", info.labels},
      {"max_len", info.max_len},
      {"quantized", info.quantized},
      {"vocab_size", info.vocab_size},
      {"parameter_count", info.parameter_count},
      {"tokenizer", info.tokenizer},
      {"format_version", info.format_version},
      {"checksum", info.checksum},
      {"file_bytes", info.file_bytes},
      {"loaded_at_unix", slot->loaded_at_unix()},
      {"load_seconds", slot->load_seconds()},
  };
  if (!info.metadata_json.empty()) {
    // Shown as JSON when it is JSON, else as the string it is.
    auto parsed = nlohmann::json::parse(info.metadata_json, nullptr, /*allow_exceptions=*/false);
    reply["metadata"] = parsed.is_discarded() ? nlohmann::json(info.metadata_json) : parsed;
  }
  // replace: a model file's strings are not guaranteed to be UTF-8.
  return json_response(reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse Service::health_live() { return json_response(R"({"live":true})"); }

HttpResponse Service::health_ready() {
  if (!ready()) {
    HttpResponse response = json_response(R"({"ready":false})");
    response.status = 503;
    return response;
  }
  return json_response(R"({"ready":true})");
}

HttpResponse Service::metrics_text() {
  std::string out;
  out.reserve(8192);
  metrics_.render(out);
  auto gauge = [&out](const char* name, const char* help, const std::string& value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
           " " + value + "\n";
  };
  gauge("fenlei_queue_depth", "Requests waiting for a worker.",
        std::to_string(batcher_.queue_depth()));
  gauge("fenlei_in_flight_requests", "Requests being handled.", std::to_string(in_flight()));
  gauge("fenlei_ready", "1 when the server accepts predictions.", ready() ? "1" : "0");
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
        std::to_string(resident_memory_bytes()));

  char buf[64];
  out += "# HELP fenlei_model_version Version serving now (1 at start, +1 per successful reload).\n"
         "# TYPE fenlei_model_version gauge\n";
  for (const ModelSlot* slot : registry_->slots()) {
    out += "fenlei_model_version{model=\"" + slot->name() + "\"} " +
           std::to_string(slot->version()) + "\n";
  }
  out += "# HELP fenlei_model_load_seconds Time the serving version took to load and warm up.\n"
         "# TYPE fenlei_model_load_seconds gauge\n";
  for (const ModelSlot* slot : registry_->slots()) {
    std::snprintf(buf, sizeof buf, "%.6f", slot->load_seconds());
    out += "fenlei_model_load_seconds{model=\"" + slot->name() + "\"} " + buf + "\n";
  }
  out += "# HELP fenlei_model_reloads_total Reload attempts by result.\n"
         "# TYPE fenlei_model_reloads_total counter\n";
  for (const ModelSlot* slot : registry_->slots()) {
    out += "fenlei_model_reloads_total{model=\"" + slot->name() + "\",result=\"ok\"} " +
           std::to_string(slot->reloads_ok()) + "\n";
    out += "fenlei_model_reloads_total{model=\"" + slot->name() + "\",result=\"error\"} " +
           std::to_string(slot->reloads_failed()) + "\n";
  }
  if (extra_metrics_) extra_metrics_(out);
  HttpResponse response;
  response.body = std::move(out);
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return response;
}

}  // namespace fenlei::server
