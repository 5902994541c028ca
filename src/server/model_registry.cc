#include "server/model_registry.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <exception>

#include "fenlei/log.h"

namespace fenlei::server {

ModelSlot::ModelSlot(ModelSpec spec, PredictorLoader loader)
    : spec_(std::move(spec)), loader_(std::move(loader)) {}

std::string ModelSlot::last_error() const {
  std::lock_guard<std::mutex> lock(error_mutex_);
  return last_error_;
}

ReloadResult ModelSlot::load() {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  const auto start = std::chrono::steady_clock::now();
  ReloadResult result;
  auto fail = [&](Status status) {
    status = status.with_context("model '" + spec_.name + "' (" + spec_.path + ")");
    reloads_failed_.fetch_add(1);
    {
      std::lock_guard<std::mutex> error_lock(error_mutex_);
      last_error_ = status.message();
    }
    FENLEI_LOG(kError) << "load failed, " << (version_.load() ? "still serving version " +
                                                                    std::to_string(version_.load())
                                                              : std::string("nothing to serve"))
                       << ": " << status.message();
    result.status = std::move(status);
    result.version = version_.load();
    return result;
  };

  StatusOr<std::shared_ptr<const Predictor>> loaded = internal_error("not loaded");
  try {
    loaded = loader_(spec_.path);
  } catch (const std::exception& e) {  // a loader must not throw, but one bad file must not kill us
    loaded = internal_error(std::string("loader threw: ") + e.what());
  }
  if (!loaded.ok()) return fail(loaded.status());
  std::shared_ptr<const Predictor> predictor = std::move(loaded).value();
  if (!predictor) return fail(internal_error("loader returned no model"));
  if (predictor->info().labels.empty()) {
    return fail(failed_precondition_error("the model has no labels"));
  }
  // Warm-up: touches every page of the weights and proves predict() works before any client
  // request depends on it.
  PredictOptions warm_options;
  auto warm = predictor->predict({"warm-up 预热"}, warm_options);
  if (!warm.ok()) return fail(warm.status().with_context("warm-up prediction failed"));
  if (warm->size() != 1) {
    return fail(failed_precondition_error("warm-up prediction returned " +
                                          std::to_string(warm->size()) + " results for 1 text"));
  }

  std::atomic_store(&predictor_, std::move(predictor));
#ifdef __GLIBC__
  // The old model was freed just now (unless a batch still runs on it), often from another
  // thread's malloc arena, which glibc keeps: without this, RSS grew by a model per reload until
  // every arena held one (+170 MB over 16 reloads of a small seed-cnn, measured).
  ::malloc_trim(0);
#endif
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t version = version_.fetch_add(1) + 1;
  load_seconds_.store(seconds);
  loaded_at_unix_.store(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
  if (version > 1) reloads_ok_.fetch_add(1);
  {
    std::lock_guard<std::mutex> error_lock(error_mutex_);
    last_error_.clear();
  }
  FENLEI_LOG(kInfo) << "model '" << spec_.name << "' version " << version << " loaded from "
                    << spec_.path << " in " << static_cast<int>(seconds * 1000) << " ms";
  result.version = version;
  result.load_seconds = seconds;
  return result;
}

bool is_valid_model_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

StatusOr<std::unique_ptr<Registry>> Registry::create(const std::vector<ModelSpec>& specs,
                                                     const PredictorLoader& loader) {
  if (specs.empty()) return invalid_argument_error("no model to serve");
  if (!loader) return invalid_argument_error("no model loader");
  auto registry = std::unique_ptr<Registry>(new Registry());
  for (const auto& spec : specs) {
    if (!is_valid_model_name(spec.name)) {
      return invalid_argument_error("model name '" + spec.name +
                                    "' must be 1-128 letters, digits, '.', '_' or '-'");
    }
    if (registry->by_name_.count(spec.name)) {
      return invalid_argument_error("model name '" + spec.name + "' is given twice");
    }
    auto slot = std::make_unique<ModelSlot>(spec, loader);
    ReloadResult loaded = slot->load();
    if (!loaded.status.ok()) return loaded.status;
    registry->order_.push_back(slot.get());
    registry->by_name_.emplace(spec.name, std::move(slot));
  }
  return registry;
}

ModelSlot* Registry::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

std::string Registry::names() const {
  std::string out;
  for (const auto* slot : order_) {
    if (!out.empty()) out += ", ";
    out += slot->name();
  }
  return out;
}

}  // namespace fenlei::server
