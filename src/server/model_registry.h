// The served models by name. Each ModelSlot holds the current Predictor behind an atomically
// swapped shared_ptr: a reload builds, validates and warms a new one, then swaps it in, while
// batches already running keep their own reference to the old one and finish on it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fenlei/status.h"
#include "server/predictor.h"

namespace fenlei::server {

struct ModelSpec {
  std::string name;  // URL name: letters, digits, '.', '_' and '-'
  std::string path;  // model file, passed to the PredictorLoader
};

// What a reload did; also the body of the reload endpoint's answer.
struct ReloadResult {
  Status status;        // OK, or why the old model is still serving
  int64_t version = 0;  // the version serving after the attempt
  double load_seconds = 0;
};

// Thread-safe: current() is lock-free; reloads of one slot are serialised by a mutex.
class ModelSlot {
 public:
  ModelSlot(ModelSpec spec, PredictorLoader loader);

  const std::string& name() const { return spec_.name; }
  const std::string& path() const { return spec_.path; }

  // The model serving now (never null once load() succeeded).
  std::shared_ptr<const Predictor> current() const { return std::atomic_load(&predictor_); }
  int64_t version() const { return version_.load(); }
  double load_seconds() const { return load_seconds_.load(); }
  int64_t loaded_at_unix() const { return loaded_at_unix_.load(); }
  uint64_t reloads_ok() const { return reloads_ok_.load(); }
  uint64_t reloads_failed() const { return reloads_failed_.load(); }
  std::string last_error() const;

  // Loads the file, checks it has labels, warms it with one prediction and swaps it in.
  // On failure the previous model keeps serving. Errors: whatever the loader returns, or
  // FAILED_PRECONDITION for a model without labels or whose warm-up prediction fails.
  ReloadResult load();

 private:
  ModelSpec spec_;
  PredictorLoader loader_;
  std::shared_ptr<const Predictor> predictor_;  // accessed only with std::atomic_load/store
  std::mutex reload_mutex_;
  std::atomic<int64_t> version_{0};
  std::atomic<double> load_seconds_{0};
  std::atomic<int64_t> loaded_at_unix_{0};
  std::atomic<uint64_t> reloads_ok_{0};
  std::atomic<uint64_t> reloads_failed_{0};
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

// The set of models is fixed at start-up, so lookups need no lock.
class Registry {
 public:
  // Loads every model (failing on the first that does not load). INVALID_ARGUMENT for an empty
  // list, a bad or duplicate name.
  static StatusOr<std::unique_ptr<Registry>> create(const std::vector<ModelSpec>& specs,
                                                    const PredictorLoader& loader);

  ModelSlot* find(std::string_view name) const;  // nullptr if unknown
  const std::vector<ModelSlot*>& slots() const { return order_; }
  std::string names() const;  // "a, b" for error messages

 private:
  std::map<std::string, std::unique_ptr<ModelSlot>, std::less<>> by_name_;
  std::vector<ModelSlot*> order_;
};

// True for names usable in a URL path segment without escaping.
bool is_valid_model_name(std::string_view name);

}  // namespace fenlei::server
