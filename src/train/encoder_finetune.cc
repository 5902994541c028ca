#include "train/encoder_finetune.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <set>
#include <thread>
#include <sstream>

#include "base/file_util.h"
#include "base/thread_pool.h"
#include "core/model_bundle.h"
#include "fenlei/log.h"
#include "format/model_file.h"
#include "nn/network.h"
#include "nn/rng.h"
#include "train/encoder_checkpoint.h"
#include "train/grads_codec.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_train.h"
#include "transformer/train_layers.h"
#include "transformer/trainable_encoder.h"

namespace fenlei::train {
namespace {

using transformer::EncoderGrads;

// Tokens per stacked forward/backward: large enough for efficient GEMMs, small enough that the
// activations kept for backward stay around 100 MB for an RBT3-sized encoder.
constexpr size_t kChunkTokens = 512;
using transformer::EncoderWeights;

// The weights being trained seen as an Engine for writing the model file, without copying them
// (a copy of an RBT3-sized encoder is 150 MB).
class BorrowedEncoder : public core::Engine {
 public:
  BorrowedEncoder(const EncoderWeights& w, const nlohmann::json& source) : w_(w), source_(source) {}
  std::string kind() const override { return transformer::kEngineKind; }
  std::string architecture_name() const override {
    return w_.config.model_type + "-L" + std::to_string(w_.config.num_layers) + "-H" +
           std::to_string(w_.config.hidden_size);
  }
  int num_classes() const override { return w_.num_labels(); }
  int64_t vocab_size() const override { return w_.config.vocab_size; }
  bool quantized() const override { return false; }
  int64_t parameter_count() const override {
    int64_t n = 0;
    for (const auto& v : transformer::param_views(const_cast<EncoderWeights*>(&w_))) n += v.size;
    return n;
  }
  void predict_proba(const nn::Batch&, core::Scratch&, float*) const override {}
  StatusOr<std::unique_ptr<core::Engine>> quantize(const quant::QuantizeOptions&) const override {
    return unimplemented_error("quantize the saved model file");
  }
  nlohmann::json architecture_json() const override {
    return {{"config", transformer::config_to_json(w_.config)}, {"source", source_}, {"int8", false}};
  }
  core::EngineFile to_file() const override {
    core::EngineFile f;
    f.tensors = transformer::encoder_to_tensors(w_);
    return f;
  }

 private:
  const EncoderWeights& w_;
  const nlohmann::json& source_;
};

struct Encoded {
  std::vector<std::vector<int32_t>> ids;
  std::vector<int> labels;
  int64_t tokens = 0;
};

StatusOr<Encoded> encode(const data::Dataset& d, const transformer::WordPieceCoreTokenizer& tok,
                         const std::vector<std::string>& labels, const std::string& name,
                         ThreadPool& pool) {
  Encoded e;
  FENLEI_ASSIGN_OR_RETURN(e.labels, data::label_ids(d, labels, name));
  e.ids.resize(d.examples.size());
  const int tasks = std::max(1, pool.size());
  pool.run(tasks, [&](int t) {
    for (size_t i = t; i < d.examples.size(); i += tasks) tok.encode(d.examples[i].text, &e.ids[i]);
  });
  for (const auto& v : e.ids) e.tokens += static_cast<int64_t>(v.size());
  return e;
}

struct Validation {
  double loss = 0, accuracy = 0;
};

Validation validate_model(const EncoderWeights& w, const Encoded& data, ThreadPool& pool) {
  const int tasks = std::max(1, pool.size());
  std::vector<double> loss(tasks, 0.0);
  std::vector<int64_t> correct(tasks, 0);
  pool.run(tasks, [&](int t) {
    std::vector<float> dl;
    for (size_t i = t; i < data.ids.size(); i += tasks) {
      std::vector<float> logits = transformer::classify_logits(w, data.ids[i]);
      dl.resize(logits.size());
      loss[t] += transformer::softmax_cross_entropy(logits.data(), static_cast<int>(logits.size()),
                                                    data.labels[i], 1.0f, dl.data());
      const int best = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      correct[t] += best == data.labels[i];
    }
  });
  Validation v;
  for (int t = 0; t < tasks; ++t) {
    v.loss += loss[t];
    v.accuracy += static_cast<double>(correct[t]);
  }
  const double n = std::max<size_t>(1, data.ids.size());
  v.loss /= n;
  v.accuracy /= n;
  return v;
}

// Splits examples [0, n) of a batch into `parts` contiguous slices of similar cost (attention
// grows with the square of the length, the dense layers linearly; tokens are a fair proxy).
std::vector<size_t> split_by_tokens(const std::vector<size_t>& batch, const Encoded& data,
                                    int parts) {
  std::vector<size_t> bounds(parts + 1, batch.size());
  bounds[0] = 0;
  int64_t total = 0;
  for (size_t i : batch) total += static_cast<int64_t>(data.ids[i].size());
  int64_t acc = 0;
  int part = 1;
  for (size_t k = 0; k < batch.size() && part < parts; ++k) {
    acc += static_cast<int64_t>(data.ids[batch[k]].size());
    while (part < parts && acc * parts >= total * part) bounds[part++] = k + 1;
  }
  return bounds;
}

// What --resume compares for data: the encoded texts and labels, as a count and a digest (so
// --format, the column flags, --validation-split and --max-len count as well as the files).
nlohmann::json data_digest(const Encoded& e) {
  uint64_t h = 0x6a09e667f3bcc909ULL;
  for (size_t i = 0; i < e.ids.size(); ++i) {
    h = nn::mix64(h ^ static_cast<uint64_t>(e.labels[i]));
    for (int32_t id : e.ids[i]) h = nn::mix64(h + static_cast<uint64_t>(id));
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  return {{"texts", e.ids.size()}, {"digest", hex}};
}

// The CRC-32 a model file stores in its last bytes (format::stored_checksum_hex), read without
// reading the whole file.
std::string stored_file_checksum(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  const std::streamoff size = f ? static_cast<std::streamoff>(f.tellg()) : 0;
  std::string tail(static_cast<size_t>(std::min<std::streamoff>(size, 8)), '\0');
  f.seekg(size - static_cast<std::streamoff>(tail.size()));
  f.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  return format::stored_checksum_hex(tail);
}

// A float option as the shortest decimal that reads back as it (0.002, not 0.0020000000949...),
// so that messages show what the user typed.
double shortest(float v) {
  char text[32];
  for (int precision = 6; precision < 9; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, static_cast<double>(v));
    if (std::strtof(text, nullptr) == v) return std::strtod(text, nullptr);
  }
  return static_cast<double>(v);
}

std::string format_double(double v, int precision = 4) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(precision);
  s << v;
  return s.str();
}

}  // namespace

Status EncoderFinetuneOptions::validate() const {
  if (init.empty()) return invalid_argument_error("--init: the transformer model to start from");
  if (input.empty()) return invalid_argument_error("--input is required");
  if (output.empty()) return invalid_argument_error("--output is required");
  if (epochs < 1) return invalid_argument_error("--epochs must be at least 1");
  if (batch_size < 1) return invalid_argument_error("--batch-size must be at least 1");
  if (grad_accum < 1) return invalid_argument_error("--grad-accum must be at least 1");
  if (max_len < 0 || max_len == 1) return invalid_argument_error("--max-len must be 0 or >= 2");
  if (!(lr > 0)) return invalid_argument_error("--lr must be positive");
  if (!(clip_norm >= 0)) return invalid_argument_error("--clip-norm must be >= 0");
  if (!(warmup_ratio >= 0 && warmup_ratio < 1))
    return invalid_argument_error("--warmup-ratio must be in [0, 1)");
  if (!(validation_split >= 0 && validation_split < 1))
    return invalid_argument_error("--validation-split must be in [0, 1)");
  if (threads < 0) return invalid_argument_error("--threads must be >= 0");
  if (!(optimizer.weight_decay >= 0)) return invalid_argument_error("--weight-decay must be >= 0");
  return Status();
}

bool is_transformer_model(const std::string& path) {
  return transformer::is_transformer_model_file(path);
}

StatusOr<EncoderFinetuneResult> finetune_encoder(const EncoderFinetuneOptions& o) {
  FENLEI_RETURN_IF_ERROR(o.validate());
  const int rank = o.collective ? o.collective->rank() : 0;
  const int ranks = o.collective ? o.collective->size() : 1;
  const bool writer = rank == 0;  // writes the model and checkpoints, reports progress
  auto say = [&](const std::string& line) {
    if (o.on_progress && writer) o.on_progress(line);
  };
  FENLEI_ASSIGN_OR_RETURN(transformer::TrainableEncoder model,
                          transformer::load_trainable_encoder(o.init));
  EncoderWeights& w = model.weights;
  const hf::EncoderConfig& config = w.config;

  // Data and labels.
  FENLEI_ASSIGN_OR_RETURN(data::Dataset train_set, data::read_dataset(o.input, o.read));
  data::Dataset valid_set;
  if (!o.valid.empty()) {
    FENLEI_ASSIGN_OR_RETURN(valid_set, data::read_dataset(o.valid, o.read));
  } else if (o.validation_split > 0) {
    FENLEI_ASSIGN_OR_RETURN(data::TrainValidationSplit split,
                            data::split_validation(std::move(train_set), o.validation_split));
    train_set = std::move(split.train);
    valid_set = std::move(split.validation);
  }
  FENLEI_RETURN_IF_ERROR(data::check_trainable(train_set));
  if (data::is_multi_label(train_set))
    return unimplemented_error(o.input + ": multi-label data; transformer fine-tuning is "
                                         "single-label (softmax) only");
  const std::vector<std::string> data_labels = data::sorted_labels(train_set);
  std::vector<std::string> labels = model.labels;
  const std::set<std::string> known(labels.begin(), labels.end());
  const bool fits_head = w.head != transformer::HeadKind::kNone &&
                         std::all_of(data_labels.begin(), data_labels.end(),
                                     [&](const std::string& l) { return known.count(l) > 0; });
  if (!fits_head) {
    if (w.head != transformer::HeadKind::kNone) {
      FENLEI_LOG(kWarning) << o.init << ": the training labels differ from the model's; "
                           << "training a new classification head for " << data_labels.size()
                           << " labels";
    }
    labels = data_labels;
    transformer::init_head(&w, static_cast<int>(labels.size()), o.seed);
    w.config.labels = labels;
  } else {
    w.config.labels = labels;
  }

  // Tokenizer, with the run's max length recorded in the output model.
  hf::WordPieceSettings settings = model.tokenizer->wordpiece().settings();
  if (o.max_len > 0) {
    if (o.max_len > config.max_position_embeddings)
      return invalid_argument_error("--max-len " + std::to_string(o.max_len) +
                                    " exceeds the model's max_position_embeddings " +
                                    std::to_string(config.max_position_embeddings));
    settings.model_max_length = o.max_len;
  }
  settings.model_max_length =
      std::min<int64_t>(settings.model_max_length, config.max_position_embeddings);
  FENLEI_ASSIGN_OR_RETURN(transformer::WordPieceTokenizer wp,
                          transformer::WordPieceTokenizer::create(settings));
  transformer::WordPieceCoreTokenizer tokenizer(std::move(wp), config.vocab_size);

  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Parallel over examples with our own threads; OpenBLAS threads inside them would only
  // oversubscribe the cores (and spin).
  nn::use_single_threaded_blas();
  ThreadPool pool(threads);
  FENLEI_ASSIGN_OR_RETURN(Encoded train, encode(train_set, tokenizer, labels, o.input, pool));
  Encoded valid;
  if (!valid_set.examples.empty()) {
    FENLEI_ASSIGN_OR_RETURN(valid, encode(valid_set, tokenizer, labels,
                                          o.valid.empty() ? o.input + " (validation)" : o.valid,
                                          pool));
  }
  const size_t n = train.ids.size();
  say("fine-tuning " + config.model_type + "-L" + std::to_string(config.num_layers) + "-H" +
      std::to_string(config.hidden_size) + " on " + std::to_string(n) + " texts (" +
      std::to_string(train.tokens) + " tokens), " + std::to_string(labels.size()) + " labels, " +
      std::to_string(valid.ids.size()) + " validation texts");

  // Schedule.
  const int64_t batches_per_epoch = static_cast<int64_t>((n + o.batch_size - 1) / o.batch_size);
  const int64_t steps_per_epoch = (batches_per_epoch + o.grad_accum - 1) / o.grad_accum;
  int64_t total_steps = steps_per_epoch * o.epochs;
  if (o.max_steps > 0) total_steps = std::min(total_steps, o.max_steps);
  const int64_t warmup = o.warmup_steps >= 0
                             ? o.warmup_steps
                             : static_cast<int64_t>(std::ceil(o.warmup_ratio * total_steps));

  auto optimizer = std::make_unique<transformer::EncoderOptimizer>(o.optimizer, w);
  std::vector<EncoderGrads> grads;
  std::vector<transformer::TrainWorkspacePtr> workspaces;
  for (int t = 0; t < threads; ++t) {
    grads.push_back(EncoderGrads::zeros_like(w));
    workspaces.push_back(transformer::make_train_workspace());
  }
  transformer::DropoutSpec dropout_rates;
  if (o.dropout) dropout_rates = transformer::DropoutSpec::from_config(w.config);
  EncoderGrads rank_scratch;  // another rank's gradients, with MPI
  std::string rank_message;
  if (o.collective) rank_scratch = EncoderGrads::zeros_like(w);

  // What a resumed run must share with the run that wrote its checkpoint.
  const EncoderRunFingerprint fingerprint = {
      {"--init", stored_file_checksum(o.init)},
      {"--input", data_digest(train)},
      {"--valid", data_digest(valid)},
      {"--max-len", settings.model_max_length},
      {"--batch-size", o.batch_size},
      {"--grad-accum", o.grad_accum},
      {"--lr", shortest(o.lr)},
      {"--optimizer", transformer::encoder_optimizer_name(o.optimizer.kind)},
      {"--beta1", shortest(o.optimizer.beta1)},
      {"--beta2", shortest(o.optimizer.beta2)},
      {"--epsilon", shortest(o.optimizer.epsilon)},
      {"--weight-decay", shortest(o.optimizer.weight_decay)},
      {"--momentum", shortest(o.optimizer.momentum)},
      {"--lr-schedule", transformer::encoder_schedule_name(o.schedule)},
      {"--warmup-ratio", o.warmup_ratio},
      {"--warmup-steps", o.warmup_steps},
      {"--clip-norm", shortest(o.clip_norm)},
      {"--no-dropout", !o.dropout},
      {"--patience", o.patience},
      {"--monitor", o.monitor == Monitor::kValidLoss ? "valid_loss" : "valid_accuracy"},
      {"--seed", o.seed}};
  const std::string checkpoint_path = !writer || o.checkpoint == "none" ? ""
                                      : o.checkpoint.empty()            ? o.output + ".ckpt"
                                                                        : o.checkpoint;

  EncoderFinetuneResult result;
  EncoderRunState run;
  int64_t& step = run.steps;
  int64_t& micro = run.micro_batches;
  bool stop = false;
  auto current_model = [&]() {
    core::ModelBundle bundle;
    bundle.engine = std::make_shared<BorrowedEncoder>(w, model.source);
    bundle.tokenizer = std::shared_ptr<const core::Tokenizer>(&tokenizer, [](const core::Tokenizer*) {});
    bundle.labels = labels;
    bundle.lineage = model.lineage;
    if (bundle.lineage.contains("scratch_start"))
      bundle.lineage.erase("scratch_start");  // the preset's temporary start file: nothing to name
    else
      bundle.lineage["fine_tuned_from"] = o.init;
    bundle.training = {{"data", o.input},
                       {"examples", n},
                       {"epochs", run.epochs_done},
                       {"steps", step},
                       {"options",
                        {{"optimizer", transformer::encoder_optimizer_name(o.optimizer.kind)},
                         {"lr", o.lr},
                         {"schedule", transformer::encoder_schedule_name(o.schedule)},
                         {"warmup_steps", warmup},
                         {"weight_decay", o.optimizer.weight_decay},
                         {"batch_size", o.batch_size},
                         {"grad_accum", o.grad_accum},
                         {"clip_norm", o.clip_norm},
                         {"max_len", settings.model_max_length},
                         {"dropout", o.dropout},
                         {"seed", o.seed}}}};
    if (!valid.ids.empty())
      bundle.metrics = {{"valid_loss", run.valid_loss}, {"valid_accuracy", run.valid_accuracy}};
    return bundle;
  };
  auto save = [&]() -> Status { return core::save_bundle(o.output, current_model()); };
  // The best epoch's model file while a later epoch's weights are being trained: what a
  // checkpoint carries so that a resumed run ends with it (read back from the output).
  std::string best_model_file;

  if (!o.resume.empty()) {
    FENLEI_RETURN_IF_ERROR(load_encoder_checkpoint(o.resume, fingerprint, &w, optimizer.get(),
                                                   &run, &best_model_file));
    FENLEI_LOG(kInfo) << "resuming from " << o.resume << " after epoch " << run.epochs_done;
    // The output as the interrupted run left it: the best epoch's model so far.
    if (writer && run.best_epoch > 0) {
      if (run.best_epoch == run.epochs_done) {
        FENLEI_RETURN_IF_ERROR(save());
      } else {
        FENLEI_RETURN_IF_ERROR(write_file_atomic(o.output, best_model_file));
      }
    }
    stop = (o.max_steps > 0 && step >= o.max_steps) ||
           (o.patience > 0 && run.epochs_without_improvement >= o.patience);
  }

  double train_seconds = 0;
  const int64_t examples_before = run.examples;  // by the run that wrote the checkpoint
  for (int epoch = run.epochs_done; epoch < o.epochs && !stop; ++epoch) {
    const std::vector<size_t> order = data::shuffled_indices(n, o.seed + static_cast<uint64_t>(epoch));
    double epoch_loss = 0;
    int64_t epoch_examples = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    for (int64_t b = 0; b < batches_per_epoch && !stop; ++b) {
      const size_t begin = static_cast<size_t>(b) * o.batch_size;
      const size_t end = std::min(n, begin + o.batch_size);
      const std::vector<size_t> batch(order.begin() + begin, order.begin() + end);
      // Parts for every thread of every rank; this rank's threads take theirs.
      const std::vector<size_t> bounds = split_by_tokens(batch, train, threads * ranks);
      // The step's mean loss over its micro-batches, as transformers' Trainer divides it.
      const int64_t in_step = std::min<int64_t>(o.grad_accum, batches_per_epoch - (b / o.grad_accum) * o.grad_accum);
      const float scale = 1.0f / static_cast<float>(batch.size() * in_step);
      std::vector<double> losses(threads, 0.0);
      const uint64_t micro_key = nn::mix64(nn::mix64(o.seed ^ 0x7f4a7c159e3779b9ULL) + static_cast<uint64_t>(micro));
      pool.run(threads, [&](int t) {
        // Chunks of consecutive examples up to kChunkTokens tokens run as one stacked forward/
        // backward (one GEMM per dense layer); the dropout key of example k depends only on k.
        std::vector<const std::vector<int32_t>*> ids;
        std::vector<int> chunk_labels;
        std::vector<uint64_t> keys;
        const int part = rank * threads + t;
        size_t k = bounds[part];
        while (k < bounds[part + 1]) {
          ids.clear();
          chunk_labels.clear();
          keys.clear();
          size_t tokens = 0;
          do {
            ids.push_back(&train.ids[batch[k]]);
            chunk_labels.push_back(train.labels[batch[k]]);
            keys.push_back(nn::mix64(micro_key + k));
            tokens += train.ids[batch[k]].size();
            ++k;
          } while (k < bounds[part + 1] && tokens + train.ids[batch[k]].size() <= kChunkTokens);
          losses[t] += transformer::forward_backward_chunk(w, ids, chunk_labels, keys, scale,
                                                           dropout_rates, workspaces[t].get(),
                                                           &grads[t]);
        }
      });
      ++micro;
      if (o.collective) {
        double mine = 0;
        for (double l : losses) mine += l;
        std::vector<double> all;
        FENLEI_RETURN_IF_ERROR(o.collective->all_gather({mine}, &all));
        losses = all;
      }
      for (double l : losses) epoch_loss += l;
      epoch_examples += static_cast<int64_t>(batch.size());
      const bool step_now = (b + 1) % o.grad_accum == 0 || b + 1 == batches_per_epoch;
      if (!step_now) continue;
      for (int t = 1; t < threads; ++t) {
        grads[0].add(grads[t]);
        grads[t].clear();
      }
      if (o.collective)
        FENLEI_RETURN_IF_ERROR(
            sum_encoder_grads(*o.collective, &grads[0], &rank_scratch, &rank_message));
      transformer::clip_grad_norm(&grads[0], o.clip_norm);
      const float lr = static_cast<float>(
          o.lr * transformer::lr_factor(o.schedule, step, warmup, total_steps));
      optimizer->step(&w, grads[0], lr);
      grads[0].clear();
      ++step;
      if (o.progress_every > 0 && step % o.progress_every == 0)
        say("step " + std::to_string(step) + "/" + std::to_string(total_steps) + " loss " +
            format_double(epoch_loss / std::max<int64_t>(1, epoch_examples)) + " lr " +
            format_double(lr, 8));
      if (o.max_steps > 0 && step >= o.max_steps) stop = true;
    }
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.train_cpu_seconds += static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    run.examples += epoch_examples;
    const bool keeps_checkpoint = o.keep_checkpoint && !checkpoint_path.empty();
    if ((epoch + 1 == o.epochs || stop) && !keeps_checkpoint) {
      // Training is over: the optimiser's moments, the gradients and the activations are not
      // needed to validate and save, and freeing them first lowers the run's peak memory.
      optimizer.reset();
      grads.clear();
      workspaces.clear();
    }
    run.epochs_done = epoch + 1;
    std::string line = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs) +
                       ": train loss " +
                       format_double(epoch_loss / std::max<int64_t>(1, epoch_examples));
    if (!valid.ids.empty()) {
      const Validation v = validate_model(w, valid, pool);
      line += ", valid loss " + format_double(v.loss) + ", valid accuracy " + format_double(v.accuracy);
      const double score = o.monitor == Monitor::kValidLoss ? -v.loss : v.accuracy;
      if (run.best_epoch == 0 || score > run.best_score) {
        run.best_score = score;
        run.epochs_without_improvement = 0;
        run.best_epoch = epoch + 1;
        run.valid_loss = v.loss;
        run.valid_accuracy = v.accuracy;
        if (writer) FENLEI_RETURN_IF_ERROR(save());
        best_model_file.clear();
        line += " (saved)";
      } else if (o.patience > 0 && ++run.epochs_without_improvement >= o.patience) {
        line += "; early stopping";
        stop = true;
      }
    }
    say(line);
    // The last epoch's checkpoint would be removed right after the model is saved.
    const bool last_epoch = epoch + 1 == o.epochs || stop;
    if (!checkpoint_path.empty() && (o.keep_checkpoint || !last_epoch)) {
      if (run.best_epoch > 0 && run.best_epoch != run.epochs_done && best_model_file.empty()) {
        FENLEI_ASSIGN_OR_RETURN(best_model_file, read_file(o.output));
      }
      FENLEI_RETURN_IF_ERROR(save_encoder_checkpoint(
          checkpoint_path, current_model(), w, *optimizer, run, fingerprint,
          run.best_epoch == run.epochs_done ? std::string() : best_model_file));
    }
    if (o.on_epoch_end) FENLEI_RETURN_IF_ERROR(o.on_epoch_end(epoch + 1));
  }
  if (valid.ids.empty() && writer) FENLEI_RETURN_IF_ERROR(save());
  if (!checkpoint_path.empty() && !o.keep_checkpoint) std::remove(checkpoint_path.c_str());
  result.epochs_run = run.epochs_done;
  result.best_epoch = run.best_epoch;
  result.valid_loss = run.valid_loss;
  result.valid_accuracy = run.valid_accuracy;
  result.examples = run.examples;
  result.steps = step;
  result.train_seconds = train_seconds;
  result.examples_per_second =
      train_seconds > 0 ? (run.examples - examples_before) / train_seconds : 0;
  return result;
}

}  // namespace fenlei::train
