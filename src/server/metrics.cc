#include "server/metrics.h"

#include <unistd.h>

#include <cstdio>

namespace fenlei::server {
namespace {

// Latency buckets from 100 us to 10 s: the interesting region for a CPU model is 0.2-5 ms.
const std::vector<double> kLatencyBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
                                            5,      10};
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

void append_number(std::string& out, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

}  // namespace

const char* route_label(Route route) {
  switch (route) {
    case Route::kPredict: return "/v1/models/{name}:predict";
    case Route::kReload: return "/v1/models/{name}:reload";
    case Route::kExplain: return "/v1/models/{name}:explain";
    case Route::kModelStatus: return "/v1/models/{name}";
    case Route::kModelMetadata: return "/v1/models/{name}/metadata";
    case Route::kHealthLive: return "/v2/health/live";
    case Route::kHealthReady: return "/v2/health/ready";
    case Route::kMetrics: return "/metrics";
    case Route::kModelList: return "/v1/models";
    case Route::kV2Server: return "/v2";
    case Route::kV2ModelMetadata: return "/v2/models/{name}";
    case Route::kV2ModelReady: return "/v2/models/{name}/ready";
    case Route::kV2Infer: return "/v2/models/{name}/infer";
    case Route::kUi: return "/";
    case Route::kOther:
    case Route::kCount: break;
  }
  return "other";
}

Histogram::Histogram(std::vector<double> bounds, double scale)
    : bounds_(std::move(bounds)), scale_(scale), buckets_(bounds_.size() + 1) {}

void Histogram::observe(uint64_t value) {
  const double v = static_cast<double>(value) * scale_;
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name + "_bucket{" + labels + sep + "le=\"";
    if (i < bounds_.size()) append_number(out, bounds_[i]);
    else out += "+Inf";
    out += "\"} " + std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " ";
  append_number(out, static_cast<double>(sum_.load(std::memory_order_relaxed)) * scale_);
  out += "\n" + name + "_count" + braces + " " +
         std::to_string(count_.load(std::memory_order_relaxed)) + "\n";
}

Metrics::Metrics() : batch_sizes_(kBatchBounds, 1.0) {
  latency_.reserve(static_cast<size_t>(Route::kCount));
  for (int i = 0; i < static_cast<int>(Route::kCount); ++i) {
    latency_.push_back(std::make_unique<Histogram>(kLatencyBounds, 1e-9));
  }
}

void Metrics::record_request(Route route, int status, uint64_t latency_ns) {
  const int r = static_cast<int>(route);
  if (status < kMinStatus || status > kMaxStatus) status = 500;
  requests_[r][status - kMinStatus].fetch_add(1, std::memory_order_relaxed);
  latency_[r]->observe(latency_ns);
}

void Metrics::record_batch(size_t instances) { batch_sizes_.observe(instances); }

uint64_t Metrics::requests(Route route, int status) const {
  if (status < kMinStatus || status > kMaxStatus) return 0;
  return requests_[static_cast<int>(route)][status - kMinStatus].load(std::memory_order_relaxed);
}

void Metrics::render(std::string& out) const {
  out += "# HELP fenlei_http_requests_total HTTP requests by route and status code.\n"
         "# TYPE fenlei_http_requests_total counter\n";
  for (int r = 0; r < static_cast<int>(Route::kCount); ++r) {
    for (int s = 0; s < kStatusCount; ++s) {
      const uint64_t n = requests_[r][s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "fenlei_http_requests_total{path=\"";
      out += route_label(static_cast<Route>(r));
      out += "\",code=\"" + std::to_string(s + kMinStatus) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP fenlei_http_request_duration_seconds Time from request parsed to response built.\n"
         "# TYPE fenlei_http_request_duration_seconds histogram\n";
  for (int r = 0; r < static_cast<int>(Route::kCount); ++r) {
    if (latency_[r]->count() == 0) continue;
    latency_[r]->render(out, "fenlei_http_request_duration_seconds",
                       std::string("path=\"") + route_label(static_cast<Route>(r)) + "\"");
  }
  out += "# HELP fenlei_batch_size Instances per batch run by the model.\n"
         "# TYPE fenlei_batch_size histogram\n";
  batch_sizes_.render(out, "fenlei_batch_size", "");
}

uint64_t resident_memory_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace fenlei::server
