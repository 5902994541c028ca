#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <numeric>

#include "base/file_util.h"
#include "base/memory_trim.h"
#include "base/thread_pool.h"
#include "core/network_engine.h"
#include "eval/evaluate.h"
#include "eval/metrics_json.h"
#include "fenlei/log.h"
#include "fenlei/version.h"
#include "nn/network.h"
#include "train/batching.h"
#include "train/checkpoint.h"
#include "train/collective.h"
#include "train/encoded_data.h"
#include "train/finetune_init.h"
#include "train/training_setup.h"

namespace fenlei::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Splits examples [0, n) of a batch into `parts` contiguous slices with similar token counts, so
// that threads finish together. Depends only on the batch, hence deterministic.
std::vector<size_t> split_by_tokens(const nn::Batch& batch, int parts) {
  const size_t n = batch.size();
  std::vector<size_t> bounds(static_cast<size_t>(parts) + 1, n);
  bounds[0] = 0;
  const double total = static_cast<double>(batch.ids.size()) + static_cast<double>(n);
  size_t i = 0;
  double acc = 0;
  for (int p = 1; p < parts; ++p) {
    const double target = total * p / parts;
    while (i < n && acc + batch.length(i) + 1 <= target) acc += batch.length(i++) + 1;
    bounds[static_cast<size_t>(p)] = i;
  }
  return bounds;
}

// Multi-label: the labels with a positive logit (probability >= 0.5) are exactly the true set
// (subset accuracy, as the validation reports it).
bool predicted_set_is_exact(const float* logits, int units, const int32_t* set, int n) {
  int predicted = 0;
  for (int c = 0; c < units; ++c) predicted += logits[c] >= 0.0f;
  if (predicted != n) return false;
  for (int i = 0; i < n; ++i)
    if (logits[set[i]] < 0.0f) return false;
  return true;
}

int predicted_class(const float* logits, int units) {
  if (units == 1) return logits[0] > 0.0f ? 1 : 0;
  return static_cast<int>(std::max_element(logits, logits + units) - logits);
}

// True if `current` improves on `best` for the monitored quantity by more than min_delta.
bool improves(Monitor monitor, double current, double best, double min_delta) {
  switch (monitor) {
    case Monitor::kValidAccuracy: return current > best + min_delta;
    case Monitor::kValidLoss: break;
  }
  return current < best - min_delta;
}

nlohmann::json epoch_json(const EpochRecord& r) {
  return {{"epoch", r.epoch},
          {"train_loss", r.train_loss},
          {"train_accuracy", r.train_accuracy},
          {"valid_loss", r.valid_loss},
          {"valid_accuracy", r.valid_accuracy},
          {"lr", r.lr},
          {"seconds", r.seconds},
          {"examples_per_second", r.examples_per_second}};
}

// The validation set through the one evaluation function, on the current weights.
eval::Evaluation validate(const nn::Network& net, const PreparedData& data, ThreadPool& pool) {
  const auto engine = core::NetworkEngine::borrow(net);
  const EncodedSet& set = data.valid;
  eval::EvaluateOptions options;
  options.label_sets = set.multi_label() ? &set.label_sets : nullptr;
  return eval::evaluate(
      *engine, set.size(),
      [&](size_t begin, size_t end, nn::Batch* batch) { set.fill_range(begin, end, batch); },
      set.labels, data.bundle.labels, pool, options);
}

// One training run between its steps: set up (data, network, optimizer, checkpoint), then
// run_epoch and end_epoch per epoch, then finish. Lives on the stack of train_model.
class Run {
 public:
  explicit Run(const TrainOptions& options)
      : o_(options),
        threads_(options.threads > 0 ? options.threads : ThreadPool::hardware_threads()),
        rank_(options.collective ? options.collective->rank() : 0),
        ranks_(options.collective ? options.collective->size() : 1),
        writer_(rank_ == 0),
        pool_(threads_) {}

  // Data, network, optimizer and checkpoint: a fresh model (start == null) or one that
  // continues `start`.
  Status set_up(const core::ModelBundle* start, bool allow_new_labels);
  Status run_epoch(int epoch, EpochRecord* record);
  // Validation, best-weights bookkeeping, logs and checkpoint. *stop when early stopping.
  Status end_epoch(EpochRecord record, bool* stop);
  StatusOr<TrainResult> finish();

  int first_epoch() const { return state_.epochs_done + 1; }

 private:
  void report(const TrainProgress& p) const {
    if (writer_ && o_.on_progress) o_.on_progress(p);
  }

  const TrainOptions& o_;
  const int threads_, rank_, ranks_;
  const bool writer_;  // the one process that writes files
  ThreadPool pool_;
  PreparedData data_;
  nn::Network net_;
  nn::Optimizer optimizer_;
  nn::LrSchedule scheduler_;
  int steps_per_epoch_ = 0;
  TrainState state_;
  std::vector<std::string> frozen_, no_decay_;
  std::string checkpoint_path_;
  std::ofstream log_file_;
  std::vector<nn::Workspace> workspaces_;
  std::vector<nn::Grads> grads_;
  nn::Grads scratch_;
  // Per thread: its weighted loss sum and its correct count (exact in a double) for this step;
  // with several processes, every process's in rank order.
  std::vector<double> step_stats_, all_stats_;
  nn::Batch batch_;
  TrainResult result_;
};

Status Run::set_up(const core::ModelBundle* start, bool allow_new_labels) {
  FENLEI_RETURN_IF_ERROR(o_.validate());
  nn::use_single_threaded_blas();
  // Data, vocabulary and ids.
  if (start) {
    FENLEI_ASSIGN_OR_RETURN(data_, prepare_data_from(*start, allow_new_labels, o_, pool_));
  } else {
    FENLEI_ASSIGN_OR_RETURN(data_, prepare_data(o_, pool_));
  }
  // Tokenising in parallel leaves its garbage (token strings, per-shard counts) in every
  // thread's malloc arena: fasttext on 50k reviews kept ~150 MB resident for the whole run.
  return_free_memory_to_os();
  const int num_classes = static_cast<int>(data_.bundle.labels.size());

  // Network (fresh, grown from the start, then maybe from a checkpoint) and optimizer.
  nn::ModelConfig config = o_.model;
  const vocab::Vocabulary& vocabulary = data_.tokenizer->vocabulary();
  config.vocab_size = static_cast<int64_t>(vocabulary.size());
  config.num_classes = num_classes;
  if (data_.multi_label) config.output = nn::Output::kOva;
  FENLEI_RETURN_IF_ERROR(config.validate());
  if (start) {
    FENLEI_ASSIGN_OR_RETURN(net_, grown_network(*start, config, o_.seed));
  } else {
    FENLEI_ASSIGN_OR_RETURN(net_, nn::Network::create(config, o_.seed));
  }
  if (o_.resume.empty())
    FENLEI_RETURN_IF_ERROR(
        apply_pretrained_vectors(o_, vocabulary, &net_, &data_.bundle.training));
  FENLEI_ASSIGN_OR_RETURN(optimizer_, make_optimizer(o_, net_.params()));
  const size_t batch_size = static_cast<size_t>(o_.batch_size);
  steps_per_epoch_ = static_cast<int>((data_.train.size() + batch_size - 1) / batch_size);
  FENLEI_ASSIGN_OR_RETURN(scheduler_, make_schedule(o_, steps_per_epoch_));
  if (!o_.resume.empty()) {
    FENLEI_RETURN_IF_ERROR(
        load_checkpoint(o_.resume, data_.bundle, &net_, &optimizer_, &scheduler_, &state_));
    FENLEI_LOG(kInfo) << "resuming from " << o_.resume << " after epoch " << state_.epochs_done;
  }
  frozen_ = frozen_parameters(o_, net_);
  no_decay_ = bias_parameters(net_);
  FENLEI_LOG(kInfo) << "model " << config.preset_name << ": " << net_.params().total_elements()
                    << " parameters, " << num_classes << " labels, vocabulary "
                    << vocabulary.size() << ", " << threads_ << " thread"
                    << (threads_ == 1 ? "" : "s");

  checkpoint_path_ = !writer_ || o_.checkpoint == "none" ? ""
                     : o_.checkpoint.empty()            ? o_.output + ".ckpt"
                                                        : o_.checkpoint;
  if (writer_ && !o_.log_path.empty()) {
    log_file_.open(o_.log_path, state_.epochs_done > 0 ? std::ios::app : std::ios::trunc);
    if (!log_file_) return invalid_argument_error("cannot write --log file " + o_.log_path);
  }
  workspaces_.resize(static_cast<size_t>(threads_));
  for (int t = 0; t < threads_; ++t) grads_.emplace_back(net_.make_grads());
  if (o_.collective) scratch_ = net_.make_grads();
  step_stats_.assign(2 * static_cast<size_t>(threads_), 0.0);
  result_.history = state_.history;
  return Status();
}

Status Run::run_epoch(int epoch, EpochRecord* record) {
  const int units = net_.config().output_units();
  const bool multi_label = net_.config().multi_label();
  const size_t n_train = data_.train.size();
  // Each epoch's order depends only on (seed, epoch): a resumed run sees the same batches.
  const auto batches = make_length_bucketed_batches(
      data_.train.lengths, o_.batch_size,
      o_.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch));
  TrainProgress progress;
  progress.epoch = epoch;
  progress.epochs = o_.epochs;
  progress.examples_total = static_cast<int64_t>(n_train);
  const auto epoch_start = Clock::now();
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  float lr = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    const int step = static_cast<int>(b);
    lr = scheduler_.lr(epoch - 1, step, steps_per_epoch_);
    data_.train.fill_batch(batches[b], &batch_);
    // Every process splits the whole batch the same way; this one takes parts
    // [rank * threads, (rank + 1) * threads), one per thread.
    const auto bounds = split_by_tokens(batch_, ranks_ * threads_);
    const size_t first_part = static_cast<size_t>(rank_) * static_cast<size_t>(threads_);
    nn::Rng rng(o_.seed);
    rng.set_step(static_cast<uint64_t>(epoch - 1) * static_cast<uint64_t>(steps_per_epoch_) +
                 static_cast<uint64_t>(step));
    pool_.run(threads_, [&](int t) {
      const size_t begin = bounds[first_part + static_cast<size_t>(t)];
      const size_t end = bounds[first_part + static_cast<size_t>(t) + 1];
      nn::Grads& g = grads_[static_cast<size_t>(t)];
      g.zero();
      double* stats = step_stats_.data() + 2 * static_cast<size_t>(t);
      stats[0] = stats[1] = 0;
      if (begin == end) return;
      nn::Workspace& ws = workspaces_[static_cast<size_t>(t)];
      stats[0] = nn::forward_backward(net_, batch_, begin, end, ws, g, rng, true);
      int64_t ok = 0;
      for (size_t i = begin; i < end; ++i) {
        const float* z = ws.logits.data() + (i - begin) * static_cast<size_t>(units);
        ok += multi_label ? predicted_set_is_exact(z, units, batch_.label_set(i),
                                                   batch_.label_set_size(i))
                          : predicted_class(z, units) == batch_.labels[i];
      }
      stats[1] = static_cast<double>(ok);
    });
    // Fixed summation order: reproducible for a given thread (and process) count. The threads
    // split the elements (each element's sum runs in the same order whatever the split).
    if (threads_ > 1)
      pool_.run(threads_, [&](int part) {
        for (int t = 1; t < threads_; ++t)
          grads_[0].add(grads_[static_cast<size_t>(t)], part, threads_);
      });
    if (o_.collective) {
      FENLEI_RETURN_IF_ERROR(o_.collective->sum_grads(grads_[0], scratch_));
      FENLEI_RETURN_IF_ERROR(o_.collective->all_gather(step_stats_, &all_stats_));
    }
    const std::vector<double>& stats = o_.collective ? all_stats_ : step_stats_;
    for (size_t k = 0; k < stats.size(); k += 2) {  // every thread of every process, in order
      loss_sum += stats[k];
      correct += static_cast<int64_t>(stats[k + 1]);
    }
    if (o_.l2 > 0) nn::add_l2_grad(net_.params(), o_.l2, no_decay_, grads_[0]);
    if (o_.clip_norm > 0) grads_[0].clip_by_global_norm(o_.clip_norm);
    zero_frozen(frozen_, net_, &grads_[0]);
    // The update in one part per thread: the same result as one thread's (Optimizer::step),
    // and a dense Adam step over every weight was ~4% of a 1-thread step, serial at 2 threads.
    optimizer_.step(
        net_.params(), grads_[0], lr, threads_,
        [this](int parts, const std::function<void(int)>& fn) { pool_.run(parts, fn); });
    seen += static_cast<int64_t>(batch_.size());
    progress.examples_done = seen;
    progress.loss = loss_sum / static_cast<double>(seen);
    progress.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    progress.examples_per_second =
        static_cast<double>(seen) / std::max(1e-9, seconds_since(epoch_start));
    report(progress);
  }
  record->epoch = epoch;
  record->seconds = seconds_since(epoch_start);
  record->examples_per_second = static_cast<double>(seen) / std::max(1e-9, record->seconds);
  record->train_loss = loss_sum / static_cast<double>(std::max<int64_t>(1, seen));
  record->train_accuracy =
      static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(1, seen));
  record->lr = lr;
  return Status();
}

Status Run::end_epoch(EpochRecord record, bool* stop) {
  const eval::Evaluation valid = validate(net_, data_, pool_);
  record.valid_loss = valid.metrics.loss;
  record.valid_accuracy = valid.metrics.accuracy;
  result_.history.push_back(record);

  const double monitored =
      o_.monitor == Monitor::kValidAccuracy ? record.valid_accuracy : record.valid_loss;
  const bool improved = state_.best_epoch == 0 ||
                        improves(o_.monitor, monitored, state_.best_value, o_.min_delta);
  if (improved) {
    state_.best_epoch = record.epoch;
    state_.best_value = monitored;
    state_.epochs_without_improvement = 0;
    // On the last epoch the best weights are the current ones: no copy (82 MB for fasttext),
    // unless the kept checkpoint must carry them.
    const bool final_epoch = record.epoch == o_.epochs && !o_.keep_checkpoint;
    if (o_.restore_best) state_.best_params = final_epoch ? nn::Params() : net_.params();
  } else {
    ++state_.epochs_without_improvement;
  }
  scheduler_.on_epoch_end(record.valid_loss);
  TrainProgress progress;
  progress.event = TrainProgress::Event::kEpochEnd;
  progress.epoch = record.epoch;
  progress.epochs = o_.epochs;
  progress.record = record;
  progress.improved = improved;
  report(progress);
  if (log_file_.is_open()) {
    log_file_ << epoch_json(record).dump() << "\n";
    log_file_.flush();
    if (!log_file_)
      return internal_error("writing the --log file " + o_.log_path + " failed");
  }
  state_.epochs_done = record.epoch;
  state_.history = result_.history;
  *stop = o_.patience > 0 && state_.epochs_without_improvement >= o_.patience;
  // The last epoch's checkpoint would be removed right after the model is saved.
  const bool last_epoch = record.epoch == o_.epochs || *stop;
  if (!checkpoint_path_.empty() && (o_.keep_checkpoint || !last_epoch)) {
    FENLEI_RETURN_IF_ERROR(
        save_checkpoint(checkpoint_path_, data_.bundle, net_, optimizer_, scheduler_, state_));
  }
  if (*stop) {
    FENLEI_LOG(kInfo) << "early stopping: no improvement of " << monitor_name(o_.monitor) << " for "
                      << o_.patience << " epochs (best: epoch " << state_.best_epoch << ")";
    result_.stopped_early = true;
  }
  return Status();
}

StatusOr<TrainResult> Run::finish() {
  if (o_.restore_best && state_.best_params.size() > 0) {
    FENLEI_RETURN_IF_ERROR(net_.params().copy_from(state_.best_params));
  }
  result_.best_epoch = state_.best_epoch;
  // Training state is dead from here: free it (the optimizer's moments, every thread's gradient
  // and the best-weights copy are each as large as the model) before saving allocates the file.
  state_.best_params = nn::Params();
  optimizer_ = nn::Optimizer();
  std::vector<nn::Grads>().swap(grads_);
  scratch_ = nn::Grads();
  std::vector<nn::Workspace>().swap(workspaces_);
  return_free_memory_to_os();
  core::ModelBundle& bundle = data_.bundle;
  // Final metrics of the saved weights, recorded in the model file.
  result_.valid_metrics = validate(net_, data_, pool_).metrics;
  bundle.metrics = {{"validation", eval::metrics_to_json(result_.valid_metrics)}};
  // Timings stay out of the model file so that a seeded single-thread run is byte-identical
  // run after run; they are in the --log file and the progress output.
  nlohmann::json history = nlohmann::json::array();
  for (const auto& r : result_.history) {
    nlohmann::json j = epoch_json(r);
    j.erase("seconds");
    j.erase("examples_per_second");
    history.push_back(j);
  }
  bundle.training["history"] = history;
  bundle.training["best_epoch"] = result_.best_epoch;
  bundle.training["stopped_early"] = result_.stopped_early;
  bundle.engine = std::make_shared<const core::NetworkEngine>(std::move(net_));
  if (writer_) FENLEI_RETURN_IF_ERROR(core::save_bundle(o_.output, bundle));
  if (!checkpoint_path_.empty() && !o_.keep_checkpoint) std::remove(checkpoint_path_.c_str());
  result_.bundle = std::move(bundle);
  return std::move(result_);
}

StatusOr<TrainResult> run_training(const TrainOptions& options, const core::ModelBundle* start,
                                   bool allow_new_labels) {
  Run run(options);
  FENLEI_RETURN_IF_ERROR(run.set_up(start, allow_new_labels));
  for (int epoch = run.first_epoch(); epoch <= options.epochs; ++epoch) {
    EpochRecord record;
    FENLEI_RETURN_IF_ERROR(run.run_epoch(epoch, &record));
    bool stop = false;
    FENLEI_RETURN_IF_ERROR(run.end_epoch(record, &stop));
    if (stop) break;
  }
  return run.finish();
}

}  // namespace

StatusOr<TrainResult> train_model(const TrainOptions& options) {
  return run_training(options, nullptr, false);
}

StatusOr<TrainResult> continue_training(const TrainOptions& options, const core::ModelBundle& start,
                                        bool allow_new_labels) {
  FENLEI_ASSIGN_OR_RETURN(TrainableModel trainable, trainable_model(start, "the model", "train"));
  TrainOptions o = options;
  o.model = trainable.network->config();
  // A sigmoid output may need a softmax once labels are added.
  if (allow_new_labels && o.model.output == nn::Output::kSigmoid) o.model.output = nn::Output::kAuto;
  o.preprocess = trainable.tokenizer->config();
  o.tokenizer_by_script = false;
  o.user_dict_path.clear();
  return run_training(o, &start, allow_new_labels);
}

}  // namespace fenlei::train
