#include "server/service.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "fenlei/log.h"
#include "fenlei/version.h"
#include "server/json_codec.h"
#include "server/ui_page.h"
#include "server/v2_protocol.h"

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

bool is_post_route(Route route) {
  return route == Route::kPredict || route == Route::kExplain || route == Route::kReload ||
         route == Route::kV2Infer;
}

const char* allowed_method(Route route) { return is_post_route(route) ? "POST" : "GET, HEAD"; }

bool method_allowed(Route route, std::string_view method) {
  if (is_post_route(route)) return method == "POST";
  return method == "GET" || method == "HEAD";
}

// Equal strings, in time that depends on their lengths only, not on where they differ.
bool equal_in_constant_time(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
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

// process_cpu_seconds_total, process_open_fds, process_max_fds, process_virtual_memory_bytes and
// process_start_time_seconds (when the service was made: moments after the process started).
void append_process_metrics(std::string& out, double started_unix) {
  char buf[256];
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  size_t fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  unsigned long long vsize_pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%llu", &vsize_pages) != 1) vsize_pages = 0;
    std::fclose(f);
  }
  std::snprintf(buf, sizeof buf,
                "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.3f\n", cpu);
  out += buf;
  out += "# TYPE process_open_fds gauge\nprocess_open_fds " + std::to_string(fds) + "\n";
  out += "# TYPE process_max_fds gauge\nprocess_max_fds " +
         std::to_string(static_cast<unsigned long long>(files.rlim_cur)) + "\n";
  out += "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes " +
         std::to_string(vsize_pages * static_cast<unsigned long long>(::sysconf(_SC_PAGESIZE))) + "\n";
  std::snprintf(buf, sizeof buf,
                "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n",
                started_unix);
  out += buf;
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

namespace {

// "{name}[/versions/{v}]{suffix}" -> name, version, suffix ("" , "/metadata", ":predict", ...).
// False if the name or version is empty or holds a '/'.
bool split_model_path(std::string_view rest, std::string_view* name, std::string_view* version,
                      std::string_view* suffix) {
  size_t end = rest.find_first_of("/:");
  *name = rest.substr(0, end);
  *version = {};
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  constexpr std::string_view kVersions = "/versions/";
  if (rest.substr(0, kVersions.size()) == kVersions) {
    rest.remove_prefix(kVersions.size());
    end = rest.find_first_of("/:");
    *version = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (version->empty()) return false;
  }
  *suffix = rest;
  return !name->empty();
}

}  // namespace

RouteMatch match_route(std::string_view path) {
  RouteMatch m;
  if (path == "/") return {Route::kUi, {}, {}};
  if (path == "/v2/health/live") return {Route::kHealthLive, {}, {}};
  if (path == "/v2/health/ready") return {Route::kHealthReady, {}, {}};
  if (path == "/metrics") return {Route::kMetrics, {}, {}};
  if (path == "/v1/models") return {Route::kModelList, {}, {}};
  if (path == "/v2" || path == "/v2/") return {Route::kV2Server, {}, {}};
  std::string_view name, version, suffix;
  constexpr std::string_view kV2Models = "/v2/models/";
  if (path.substr(0, kV2Models.size()) == kV2Models) {
    if (!split_model_path(path.substr(kV2Models.size()), &name, &version, &suffix)) return m;
    if (suffix.empty()) m.route = Route::kV2ModelMetadata;
    else if (suffix == "/ready") m.route = Route::kV2ModelReady;
    else if (suffix == "/infer") m.route = Route::kV2Infer;
    else return m;
  } else if (path.substr(0, kModelsPrefix.size()) == kModelsPrefix) {
    if (!split_model_path(path.substr(kModelsPrefix.size()), &name, &version, &suffix)) return m;
    if (suffix.empty()) m.route = Route::kModelStatus;
    else if (suffix == "/metadata") m.route = Route::kModelMetadata;
    else if (suffix == ":predict") m.route = Route::kPredict;
    else if (suffix == ":reload") m.route = Route::kReload;
    else if (suffix == ":explain") m.route = Route::kExplain;
    else return m;
  } else {
    return m;
  }
  m.model = name;
  m.version = version;
  return m;
}

Route classify_path(std::string_view path, std::string_view* model) {
  const RouteMatch m = match_route(path);
  *model = m.model;
  return m.route;
}

Service::Service(std::unique_ptr<Registry> registry, ServiceOptions options)
    : options_(options), registry_(std::move(registry)), batcher_(options.batcher, &metrics_) {
  std::random_device random;
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%08x", random());
  request_id_prefix_ = prefix;
  std::vector<std::string> names;
  for (const ModelSlot* slot : registry_->slots()) {
    model_requests_[slot->name()];
    names.push_back(slot->name());
  }
  if (options_.ui) ui_page_ = ui_page_html(names);
  started_unix_ = std::chrono::duration<double>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  if (options_.access_log == "-") {
    access_log_ = stdout;
  } else if (!options_.access_log.empty()) {
    access_log_ = std::fopen(options_.access_log.c_str(), "a");
    access_log_owned_ = access_log_ != nullptr;
    if (!access_log_) {
      access_log_status_ = unavailable_error("cannot open the access log " + options_.access_log +
                                             " for appending; check --access-log");
    }
  }
}

Service::~Service() {
  batcher_.shutdown();
  if (access_log_owned_) std::fclose(access_log_);
}

std::string Service::new_request_id() {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s-%llx", request_id_prefix_.c_str(),
                static_cast<unsigned long long>(request_counter_.fetch_add(1) + 1));
  return buf;
}

HttpResponse Service::handle(const HttpRequest& request) {
  const auto start = Clock::now();
  InFlight in_flight(in_flight_);
  // The client's id when it is a sane token (it goes into logs and a header), else a new one.
  std::string request_id(request.header("x-request-id"));
  if (request_id.empty() || request_id.size() > 128 ||
      !std::all_of(request_id.begin(), request_id.end(),
                   [](char c) { return c > 0x20 && c < 0x7f; })) {
    request_id = new_request_id();
  }
  const RouteMatch match = match_route(request.path);
  HttpResponse response;
  try {
    response = this->route(request, match);
  } catch (const std::exception& e) {  // e.g. bad_alloc: the client gets JSON, the process lives
    response = error_response(500, std::string("internal error: ") + e.what());
  }
  // Errors name the request id in the body too, for the client's bug report.
  if (response.status >= 400 && response.body.size() > 1 && response.body[0] == '{' &&
      response.content_type == "application/json") {
    std::string id_field = "\"request_id\":";
    append_json_string(id_field, request_id);
    response.body.insert(1, id_field + ",");
  }
  response.headers.emplace_back("X-Request-ID", request_id);
  const std::string_view origin = request.header("origin");
  if (!origin.empty() && std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(),
                                   origin) != options_.allowed_origins.end()) {
    response.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    response.headers.emplace_back("Vary", "Origin");
  }
  const uint64_t ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  metrics_.record_request(match.route, response.status, ns);
  if (!match.model.empty() && response.status >= 100 && response.status < 600) {
    if (auto it = model_requests_.find(match.model); it != model_requests_.end()) {
      it->second[static_cast<size_t>(response.status / 100 - 1)].fetch_add(1, std::memory_order_relaxed);
    }
  }
  FENLEI_LOG(kInfo) << request.method << ' ' << printable(request.path) << ' ' << response.status
                    << ' ' << static_cast<double>(ns / 1000) / 1000.0 << "ms " << request_id;
  if (access_log_) write_access_log(request, match, request_id, response.status, ns);
  return response;
}

void Service::write_access_log(const HttpRequest& request, const RouteMatch& match,
                               std::string_view request_id, int status, uint64_t latency_ns) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                          now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char time_buf[64];
  std::snprintf(time_buf, sizeof time_buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                utc.tm_sec, static_cast<int>(millis));
  nlohmann::json line = {{"time", time_buf},
                         {"request_id", request_id},
                         {"client", request.client},
                         {"method", request.method},
                         {"route", route_label(match.route)},
                         {"model", match.model},
                         {"status", status},
                         {"latency_ms", static_cast<double>(latency_ns / 1000) / 1000.0},
                         {"request_bytes", request.body.size()}};
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(access_log_mutex_);
  std::fwrite(text.data(), 1, text.size(), access_log_);
  std::fflush(access_log_);
}

void Service::record(std::string_view method, std::string_view path, int status,
                     uint64_t latency_ns) {
  std::string_view model;
  metrics_.record_request(classify_path(path, &model), status, latency_ns);
  FENLEI_LOG(kInfo) << method << ' ' << printable(path) << ' ' << status << ' '
                    << static_cast<double>(latency_ns / 1000) / 1000.0 << "ms";
}

HttpResponse Service::route(const HttpRequest& request, const RouteMatch& match) {
  const Route route = match.route;
  const std::string_view model = match.model;
  if (request.method == "OPTIONS") {
    // A CORS preflight: granted only to --cors-origin origins.
    const std::string_view origin = request.header("origin");
    if (!origin.empty() && !request.header("access-control-request-method").empty() &&
        std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), origin) !=
            options_.allowed_origins.end()) {
      HttpResponse response;
      response.status = 204;
      response.content_type = "text/plain";
      response.headers = {{"Access-Control-Allow-Methods", "GET, POST"},
                          {"Access-Control-Allow-Headers",
                           "Content-Type, Authorization, X-Request-ID"},
                          {"Access-Control-Max-Age", "600"}};
      return response;
    }
  }
  if (route == Route::kOther || (route == Route::kUi && !options_.ui)) {
    return error_response(
        404, "no such endpoint: " + printable(request.path) +
                 "; use POST /v1/models/{name}:predict, POST /v1/models/{name}:explain, "
                 "GET /v1/models[/{name}[/metadata]], POST /v2/models/{name}/infer, "
                 "GET /v2/models/{name}[/ready], GET /v2, "
                 "GET /v2/health/live, GET /v2/health/ready or GET /metrics");
  }
  if (!method_allowed(route, request.method)) {
    HttpResponse response = error_response(
        405, std::string(request.method) + " is not allowed on " + route_label(route) + "; use " +
                 allowed_method(route));
    response.allow = allowed_method(route);
    return response;
  }
  if (route == Route::kReload && options_.admin_port_only && !request.admin_listener) {
    return error_response(403, "reloads are served on the admin port only (--admin-port)");
  }
  const bool trusted_admin = request.admin_listener && route == Route::kReload;
  if (!trusted_admin) {
    if (auto refused = refuse_unauthorized(request, route)) return *refused;
  }
  if (route == Route::kReload) {
    if (auto refused = refuse_cross_site(request)) return *refused;
  }
  if (!match.version.empty()) {
    const ModelSlot* slot = registry_->find(model);
    if (!slot) return unknown_model(model);
    if (auto refused = refuse_version(*slot, match.version)) return *refused;
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
    case Route::kModelList: return model_list();
    case Route::kV2Server: return v2_server_metadata();
    case Route::kV2ModelMetadata: return v2_model_metadata(model, match.version);
    case Route::kV2ModelReady: return v2_model_ready(model, match.version);
    case Route::kV2Infer:
      return v2_infer(model, match.version, request.body,
                      request.header(kInferenceHeaderLengthLower));
    case Route::kUi: return ui_page_response(ui_page_);
    case Route::kOther:
    case Route::kCount: break;
  }
  return error_response(500, "internal error: unrouted request");
}

std::optional<HttpResponse> Service::refuse_version(const ModelSlot& slot,
                                                    std::string_view version) const {
  if (version.empty() || version == std::to_string(slot.version())) return std::nullopt;
  return error_response(404, "model '" + slot.name() + "' has no version '" + printable(version) +
                                 "'; it serves version " + std::to_string(slot.version()) +
                                 " only");
}

std::optional<HttpResponse> Service::refuse_unauthorized(const HttpRequest& request,
                                                         Route route) const {
  if (options_.auth_tokens.empty()) return std::nullopt;
  if (route == Route::kHealthLive || route == Route::kHealthReady) return std::nullopt;
  const std::string_view header = request.header("authorization");
  std::string_view presented;
  if (header.size() > 7 && (header.substr(0, 7) == "Bearer " || header.substr(0, 7) == "bearer ")) {
    presented = header.substr(7);
  }
  const AuthToken* match = nullptr;
  for (const AuthToken& token : options_.auth_tokens) {
    // Every token is compared, each in time independent of where the bytes differ.
    if (equal_in_constant_time(presented, token.token) && !match) match = &token;
  }
  if (!match) {
    HttpResponse response = error_response(
        401, presented.empty() ? "this server needs 'Authorization: Bearer <token>'"
                               : "the bearer token is not valid");
    response.headers.emplace_back(
        "WWW-Authenticate", presented.empty() ? "Bearer realm=\"fenlei\""
                                              : "Bearer realm=\"fenlei\", error=\"invalid_token\"");
    return response;
  }
  if (route == Route::kReload && !match->admin) {
    return error_response(403, "reloading needs an admin token");
  }
  return std::nullopt;
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

std::optional<HttpResponse> Service::run_predictions(ModelSlot* slot,
                                                     std::vector<std::string> texts,
                                                     const PredictOptions& options,
                                                     std::vector<Prediction>* out) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  auto job = batcher_.submit(slot, std::move(texts), options);
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
  *out = std::move(*predictions);
  return std::nullopt;
}

HttpResponse Service::predict(std::string_view model, std::string_view body) {
  ModelSlot* slot = nullptr;
  if (auto refused = admit(model, body, &slot)) return *refused;
  auto request = parse_predict_request(body);
  if (!request.ok()) return error_response(400, request.status().message());
  request->apply_model_defaults(slot->current()->info());
  std::vector<Prediction> predictions;
  if (auto failed = run_predictions(slot, std::move(request->instances), request->options,
                                    &predictions)) {
    return *failed;
  }
  return json_response(request->columnar ? write_predictions_columnar(predictions)
                                         : write_predictions(predictions));
}

HttpResponse Service::model_list() {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelSlot* slot : registry_->slots()) {
    models.push_back({{"name", slot->name()},
                      {"version", std::to_string(slot->version())},
                      {"state", draining() ? "UNLOADING" : "AVAILABLE"}});
  }
  return json_response(nlohmann::json{{"models", models}}.dump());
}

HttpResponse Service::v2_server_metadata() { return json_response(write_v2_server_metadata()); }

HttpResponse Service::v2_model_metadata(std::string_view model, std::string_view version) {
  (void)version;  // checked in route()
  const ModelSlot* slot = registry_->find(model);
  if (!slot) return unknown_model(model);
  const auto predictor = slot->current();
  return json_response(
      write_v2_model_metadata(slot->name(), std::to_string(slot->version()), predictor->info()));
}

HttpResponse Service::v2_model_ready(std::string_view model, std::string_view version) {
  (void)version;
  const ModelSlot* slot = registry_->find(model);
  if (!slot) return unknown_model(model);
  nlohmann::json reply = {{"name", slot->name()}, {"ready", ready()}};
  HttpResponse response = json_response(reply.dump());
  if (!ready()) response.status = 503;
  return response;
}

HttpResponse Service::v2_infer(std::string_view model, std::string_view version,
                               std::string_view body, std::string_view header_length) {
  (void)version;
  ModelSlot* slot = nullptr;
  if (auto refused = admit(model, body, &slot)) return *refused;
  auto request = parse_v2_infer_request(body, header_length);
  if (!request.ok()) return error_response(400, request.status().message());
  // Every label's probability, in the model's order, whatever the request shows of them.
  const std::vector<std::string> labels = slot->current()->info().labels;
  PredictOptions options;
  options.k = std::max<int>(1, static_cast<int>(labels.size()));
  std::vector<Prediction> predictions;
  if (auto failed = run_predictions(slot, request->texts, options, &predictions)) return *failed;
  V2InferResponse reply = write_v2_infer_response(*request, predictions, labels, slot->name(),
                                                  std::to_string(slot->version()));
  HttpResponse response = json_response(std::move(reply.body));
  if (reply.json_size > 0) {  // binary outputs follow the JSON (the binary-data extension)
    response.content_type = "application/octet-stream";
    response.headers.emplace_back(kInferenceHeaderLength, std::to_string(reply.json_size));
  }
  return response;
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
      {"precision", info.precision},
      {"multi_label", info.multi_label},
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
  append_process_metrics(out, started_unix_);
  out += "# HELP fenlei_build_info The fenlei version serving.\n# TYPE fenlei_build_info gauge\n"
         "fenlei_build_info{version=\"" FENLEI_VERSION_STRING "\"} 1\n";
  out += "# HELP fenlei_model_requests_total Requests naming a model, by status class.\n"
         "# TYPE fenlei_model_requests_total counter\n";
  for (const auto& [name, counts] : model_requests_) {
    for (size_t c = 0; c < counts.size(); ++c) {
      const uint64_t n = counts[c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "fenlei_model_requests_total{model=\"" + name + "\",code=\"" + std::to_string(c + 1) +
             "xx\"} " + std::to_string(n) + "\n";
    }
  }

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
