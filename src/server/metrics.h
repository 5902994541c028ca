// Prometheus metrics for the server: request counts by route and status, latency and batch-size
// histograms. Recording is lock-free (fixed arrays of atomics), so it costs nothing on the hot path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fenlei::server {

// The routes the server knows; metrics are labelled by route template, never by the raw path, so a
// client probing random URLs cannot blow up the number of series.
// Adding a route (e.g. GET / for a web page): a value here, its template in route_label(), a line in
// match_route() (service.cc), its method in is_post_route() if it is a POST, and a case in
// Service::route().
enum class Route : int {
  kPredict = 0,
  kReload,
  kExplain,
  kModelStatus,
  kModelMetadata,
  kHealthLive,
  kHealthReady,
  kMetrics,
  kModelList,        // GET /v1/models
  kV2Server,         // GET /v2
  kV2ModelMetadata,  // GET /v2/models/{name}
  kV2ModelReady,     // GET /v2/models/{name}/ready
  kV2Infer,          // POST /v2/models/{name}/infer
  kUi,               // GET / (the try-a-model page, ui_page.h)
  kOther,
  kCount,
};
const char* route_label(Route route);  // e.g. "/v1/models/{name}:predict"

// A cumulative histogram with fixed upper bounds. Values are recorded as integers in some unit
// (nanoseconds, instances) and printed multiplied by `scale` (e.g. 1e-9 for seconds).
class Histogram {
 public:
  Histogram(std::vector<double> bounds, double scale);
  void observe(uint64_t value);
  // Appends the _bucket/_sum/_count lines for metric `name` with extra `labels` ("" or `a="b"`).
  void render(std::string& out, const std::string& name, const std::string& labels) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;  // in printed units
  double scale_;
  std::vector<std::atomic<uint64_t>> buckets_;  // one per bound, plus +Inf
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Thread-safe: every method may be called from any thread.
class Metrics {
 public:
  Metrics();
  void record_request(Route route, int status, uint64_t latency_ns);
  void record_batch(size_t instances);
  uint64_t requests(Route route, int status) const;
  const Histogram& batch_sizes() const { return batch_sizes_; }
  // Appends the request, latency and batch metrics in Prometheus text format 0.0.4.
  void render(std::string& out) const;

 private:
  static constexpr int kMinStatus = 100, kMaxStatus = 599;
  static constexpr int kStatusCount = kMaxStatus - kMinStatus + 1;
  std::array<std::array<std::atomic<uint64_t>, kStatusCount>, static_cast<int>(Route::kCount)>
      requests_{};
  std::vector<std::unique_ptr<Histogram>> latency_;  // one per route (atomics do not move)
  Histogram batch_sizes_;
};

// Resident set size of this process in bytes (from /proc/self/statm), or 0 if unavailable.
uint64_t resident_memory_bytes();

}  // namespace fenlei::server
