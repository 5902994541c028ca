#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "base/progress.h"
#include "eval/metrics_json.h"
#include "base/thread_pool.h"
#include "train/collective.h"
#include "fenlei/file_util.h"
#include "fenlei/log.h"
#include "fenlei/version.h"
#include "nn/network.h"
#include "train/batching.h"
#include "train/checkpoint.h"
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

int predicted_class(const float* logits, int units) {
  if (units == 1) return logits[0] > 0.0f ? 1 : 0;
  return static_cast<int>(std::max_element(logits, logits + units) - logits);
}

// True if `current` improves on `best` for the monitored quantity by more than min_delta.
bool improves(const std::string& monitor, double current, double best, double min_delta) {
  if (monitor == "valid_accuracy") return current > best + min_delta;
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

}  // namespace

StatusOr<TrainResult> train_model(const TrainOptions& options) {
  FENLEI_RETURN_IF_ERROR(options.validate());
  const int threads = options.threads > 0 ? options.threads : ThreadPool::hardware_threads();
  Collective* const collective = options.collective;
  const int rank = collective ? collective->rank() : 0;
  const int ranks = collective ? collective->size() : 1;
  const bool writer = rank == 0;  // the one process that writes files
  nn::use_single_threaded_blas();
  ThreadPool pool(threads);

  // ---- Data, vocabulary and ids.
  FENLEI_ASSIGN_OR_RETURN(PreparedData data, prepare_data(options, pool));
  core::ModelBundle& bundle = data.bundle;
  const int num_classes = static_cast<int>(bundle.labels.size());

  // ---- Network and optimizer (fresh, or from a checkpoint).
  nn::ModelConfig config = options.model;
  config.vocab_size = static_cast<int64_t>(bundle.vocabulary.size());
  config.num_classes = num_classes;
  FENLEI_RETURN_IF_ERROR(config.validate());
  FENLEI_ASSIGN_OR_RETURN(bundle.network, nn::Network::create(config, options.seed));
  // Transfer: initial weights from a base model (fine-tuning) and/or pretrained word vectors.
  if (options.resume.empty()) FENLEI_RETURN_IF_ERROR(apply_initial_weights(options, &bundle));
  FENLEI_ASSIGN_OR_RETURN(nn::Optimizer optimizer, make_optimizer(options, bundle.network.params()));
  const size_t n_train = data.train.size();
  const int steps_per_epoch =
      static_cast<int>((n_train + static_cast<size_t>(options.batch_size) - 1) /
                       static_cast<size_t>(options.batch_size));
  FENLEI_ASSIGN_OR_RETURN(nn::LrSchedule scheduler, make_schedule(options, steps_per_epoch));

  TrainState state;
  if (!options.resume.empty()) {
    FENLEI_RETURN_IF_ERROR(
        load_checkpoint(options.resume, &bundle, &optimizer, &scheduler, &state));
    FENLEI_LOG(kInfo) << "resuming from " << options.resume << " after epoch "
                      << state.epochs_done;
  }
  nn::Network& net = bundle.network;
  const std::vector<std::string> frozen = frozen_parameters(options, net);
  const std::vector<std::string> no_decay = bias_parameters(net);

  FENLEI_LOG(kInfo) << "model " << config.preset_name << ": "
                    << net.params().total_elements() << " parameters, " << num_classes
                    << " labels, vocabulary " << bundle.vocabulary.size() << ", " << threads
                    << " thread" << (threads == 1 ? "" : "s");

  const std::string checkpoint_path =
      !writer || options.checkpoint == "none" ? ""
      : options.checkpoint.empty() ? options.output + ".ckpt"
                                   : options.checkpoint;
  std::ofstream log_file;
  if (writer && !options.log_path.empty()) {
    log_file.open(options.log_path, state.epochs_done > 0 ? std::ios::app : std::ios::trunc);
    if (!log_file) return invalid_argument_error("cannot write --log file " + options.log_path);
  }

  std::vector<nn::Workspace> workspaces(static_cast<size_t>(threads));
  std::vector<nn::Grads> grads;
  for (int t = 0; t < threads; ++t) grads.emplace_back(net.make_grads());
  nn::Grads scratch = collective ? net.make_grads() : nn::Grads();
  // Per thread: its weighted loss sum and its correct count (exact in a double) for this step;
  // with several processes, every process's in rank order.
  std::vector<double> step_stats(2 * static_cast<size_t>(threads)), all_stats;
  TrainResult result;
  result.history = state.history;
  nn::Batch batch;
  const int units = config.output_units();

  for (int epoch = state.epochs_done + 1; epoch <= options.epochs; ++epoch) {
    // Each epoch's order depends only on (seed, epoch): a resumed run sees the same batches.
    const auto batches = make_length_bucketed_batches(
        data.train.lengths, options.batch_size,
        options.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch));
    ProgressBar progress("epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs),
                         static_cast<int64_t>(n_train));
    const auto epoch_start = Clock::now();
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    float lr = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      const int step = static_cast<int>(b);
      lr = scheduler.lr(epoch - 1, step, steps_per_epoch);
      data.train.fill_batch(batches[b], &batch);
      // Every process splits the whole batch the same way; this one takes parts
      // [rank * threads, (rank + 1) * threads), one per thread.
      const auto bounds = split_by_tokens(batch, ranks * threads);
      const size_t first_part = static_cast<size_t>(rank) * static_cast<size_t>(threads);
      nn::Rng rng(options.seed);
      rng.set_step(static_cast<uint64_t>(epoch - 1) * static_cast<uint64_t>(steps_per_epoch) +
                   static_cast<uint64_t>(step));
      pool.run(threads, [&](int t) {
        const size_t begin = bounds[first_part + static_cast<size_t>(t)];
        const size_t end = bounds[first_part + static_cast<size_t>(t) + 1];
        nn::Grads& g = grads[static_cast<size_t>(t)];
        g.zero();
        double* stats = step_stats.data() + 2 * static_cast<size_t>(t);
        stats[0] = stats[1] = 0;
        if (begin == end) return;
        nn::Workspace& ws = workspaces[static_cast<size_t>(t)];
        stats[0] = nn::forward_backward(net, batch, begin, end, ws, g, rng, true);
        int64_t ok = 0;
        for (size_t i = begin; i < end; ++i) {
          const float* z = ws.logits.data() + (i - begin) * static_cast<size_t>(units);
          ok += predicted_class(z, units) == batch.labels[i];
        }
        stats[1] = static_cast<double>(ok);
      });
      // Fixed summation order: reproducible for a given thread (and process) count.
      for (int t = 1; t < threads; ++t) grads[0].add(grads[static_cast<size_t>(t)]);
      if (collective) {
        FENLEI_RETURN_IF_ERROR(collective->sum_grads(grads[0], scratch));
        FENLEI_RETURN_IF_ERROR(collective->all_gather(step_stats, &all_stats));
      }
      const std::vector<double>& stats = collective ? all_stats : step_stats;
      for (size_t k = 0; k < stats.size(); k += 2) {  // every thread of every process, in order
        loss_sum += stats[k];
        correct += static_cast<int64_t>(stats[k + 1]);
      }
      if (options.l2 > 0) nn::add_l2_grad(net.params(), options.l2, no_decay, grads[0]);
      if (options.clip_norm > 0) grads[0].clip_by_global_norm(options.clip_norm);
      zero_frozen(frozen, net, &grads[0]);
      optimizer.step(net.params(), grads[0], lr);
      seen += static_cast<int64_t>(batch.size());
      char suffix[96];
      std::snprintf(suffix, sizeof(suffix), "loss %.4f acc %.4f %.0f ex/s",
                    loss_sum / static_cast<double>(seen),
                    static_cast<double>(correct) / static_cast<double>(seen),
                    static_cast<double>(seen) / std::max(1e-9, seconds_since(epoch_start)));
      progress.update(seen, suffix);
    }
    progress.finish();
    EpochRecord record;
    record.epoch = epoch;
    record.seconds = seconds_since(epoch_start);
    record.examples_per_second = static_cast<double>(seen) / std::max(1e-9, record.seconds);
    record.train_loss = loss_sum / static_cast<double>(std::max<int64_t>(1, seen));
    record.train_accuracy = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(1, seen));
    record.lr = lr;
    const EvalResult valid = evaluate_encoded(net, data.valid, pool, workspaces);
    record.valid_loss = valid.loss;
    record.valid_accuracy = valid.accuracy;
    result.history.push_back(record);

    const double monitored =
        options.monitor == "valid_accuracy" ? record.valid_accuracy : record.valid_loss;
    bool improved = state.best_epoch == 0 ||
                    improves(options.monitor, monitored, state.best_value, options.min_delta);
    if (improved) {
      state.best_epoch = epoch;
      state.best_value = monitored;
      state.epochs_without_improvement = 0;
      if (options.restore_best) state.best_params = net.params();
    } else {
      ++state.epochs_without_improvement;
    }
    scheduler.on_epoch_end(record.valid_loss);

    FENLEI_LOG(kInfo) << "epoch " << epoch << "/" << options.epochs << "  loss "
                      << record.train_loss << "  acc " << record.train_accuracy
                      << "  valid_loss " << record.valid_loss << "  valid_acc "
                      << record.valid_accuracy << "  lr " << record.lr << "  "
                      << static_cast<int64_t>(record.examples_per_second) << " ex/s"
                      << (improved ? "  *" : "");
    if (log_file) {
      log_file << epoch_json(record).dump() << "\n";
      log_file.flush();
    }
    state.epochs_done = epoch;
    state.history = result.history;
    const bool stopping =
        options.patience > 0 && state.epochs_without_improvement >= options.patience;
    // The last epoch's checkpoint would be removed right after the model is saved.
    const bool last_epoch = epoch == options.epochs || stopping;
    if (!checkpoint_path.empty() && (options.keep_checkpoint || !last_epoch)) {
      FENLEI_RETURN_IF_ERROR(save_checkpoint(checkpoint_path, bundle, optimizer, scheduler, state));
    }
    if (stopping) {
      FENLEI_LOG(kInfo) << "early stopping: no improvement of " << options.monitor << " for "
                        << options.patience << " epochs (best: epoch " << state.best_epoch << ")";
      result.stopped_early = true;
      break;
    }
  }

  if (options.restore_best && state.best_params.size() > 0) {
    FENLEI_RETURN_IF_ERROR(net.params().copy_from(state.best_params));
  }
  result.best_epoch = state.best_epoch;
  // Training state is dead from here: free it (the optimizer's moments, every thread's gradient
  // and the best-weights copy are each as large as the model) before saving allocates the file.
  state.best_params = nn::Params();
  optimizer = nn::Optimizer();
  std::vector<nn::Grads>().swap(grads);
  scratch = nn::Grads();

  // ---- Final metrics of the saved weights, recorded in the model file.
  const EvalResult final_eval = evaluate_encoded(net, data.valid, pool, workspaces);
  result.valid_metrics = eval::compute_metrics(data.valid.labels, final_eval.predicted,
                                               bundle.labels, final_eval.loss);
  bundle.metrics = {{"validation", eval::metrics_to_json(result.valid_metrics)}};
  // Timings stay out of the model file so that a seeded single-thread run is byte-identical
  // run after run; they are in the --log file and the progress output.
  nlohmann::json history = nlohmann::json::array();
  for (const auto& r : result.history) {
    nlohmann::json j = epoch_json(r);
    j.erase("seconds");
    j.erase("examples_per_second");
    history.push_back(j);
  }
  bundle.training["history"] = history;
  bundle.training["best_epoch"] = result.best_epoch;
  bundle.training["stopped_early"] = result.stopped_early;
  if (writer) FENLEI_RETURN_IF_ERROR(core::save_bundle(options.output, bundle));
  if (!checkpoint_path.empty() && !options.keep_checkpoint) std::remove(checkpoint_path.c_str());
  result.bundle = std::move(bundle);
  return result;
}

}  // namespace fenlei::train
