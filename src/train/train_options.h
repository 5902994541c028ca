// TrainOptions: every setting of a training run, with the seed system's defaults. Filled by
// `fenlei train` flags (and by fine-tuning), validated before any data is read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/model_bundle.h"
#include "core/preprocessor.h"
#include "data/dataset.h"
#include "fenlei/status.h"
#include "nn/config.h"
#include "nn/optimizer.h"
#include "train/train_progress.h"
#include "train/training_choices.h"

namespace fenlei::train {

class Collective;
struct Distillation;

// The optimiser and its numbers. The kind is parsed once where flags become options
// (nn::parse_optimizer_kind); the model records its name.
struct OptimizerConfig {
  nn::OptimizerKind kind = nn::OptimizerKind::kAdam;
  float lr = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-7f;  // Keras' Adam defaults
  float momentum = 0.9f;                                // sgd
  float weight_decay = 0.0f;                            // adamw's decoupled decay
  bool lazy_embeddings = false;  // adam/adamw: update only embedding rows a batch touched
};

// How the learning rate moves over the run (parse_lr_schedule turns the flag into kind).
struct ScheduleConfig {
  LrScheduleKind kind = LrScheduleKind::kConstant;
  double warmup_epochs = 0.0;  // linear warm-up, in epochs
  int step_epochs = 1;         // step: decay every N epochs
  float gamma = 0.5f;          // step: decay factor
  float min_lr = 0.0f;         // cosine/plateau: floor
  int plateau_patience = 1;    // plateau: epochs without validation-loss improvement
  float plateau_factor = 0.5f;  // plateau: reduction factor
};

struct TrainOptions {
  // Data.
  std::string input;            // training data file
  std::string valid;            // optional validation file; else validation_split of input
  double validation_split = 0.2;  // Keras semantics: the last fraction, taken before shuffling
  data::ReadOptions read;

  // Preprocessing.
  core::PreprocessConfig preprocess;  // max_len 0 = choose from the data
  // Choose preprocess.tokenizer from the training texts (`--tokenizer auto`): characters when
  // most letters are of scripts written without spaces (Chinese, Japanese, Thai), else words.
  bool tokenizer_by_script = false;
  std::string user_dict_path;         // jieba user dictionary, embedded in the model
  std::string dict_path;              // jieba main dictionary override
  size_t vocab_size = 10000;          // including <pad> and <unk>, as Keras num_words
  int64_t min_count = 1;

  // Model.
  nn::ModelConfig model;  // preset plus overrides
  // model.output was set by the user (--loss), not by the preset: multi-label data then keeps
  // it (with a warning) instead of switching to ova.
  bool output_chosen = false;

  // Optimisation.
  OptimizerConfig optimizer;
  float l2 = 0.0f;                                      // L2 penalty on weights (not biases)
  float clip_norm = 0.0f;                               // 0 = no clipping
  ScheduleConfig schedule;
  std::string class_weight;  // "", "balanced", or "label=w,label=w"

  int epochs = 10;
  int batch_size = 32;
  int patience = 0;          // early stopping: epochs without improvement; 0 = off
  double min_delta = 0.0;
  Monitor monitor = Monitor::kValidLoss;  // parse_monitor
  bool restore_best = true;            // keep the best epoch's weights (by `monitor`)

  uint64_t seed = 42;
  int threads = 0;  // 0 = all cores (per process)
  // Data-parallel training over several processes (fenlei train --mpi); null = this process
  // alone. Not owned. Only rank 0 writes the model, checkpoints and log and shows progress.
  Collective* collective = nullptr;

  // Data already in memory (the library's train_classifier): used instead of reading `input` /
  // `valid`, which then only name it in messages and in the model's record.
  std::shared_ptr<const data::Dataset> train_data, valid_data;

  // Files.
  std::string output;      // the model file
  std::string checkpoint;  // "" = <output>.ckpt; "none" = no checkpoints
  // Keep the checkpoint after a successful run (to --resume with more epochs later). Otherwise
  // it is removed once the model is saved, and the last epoch writes none: it would be deleted
  // moments later, and writing it is the run's largest transient memory cost.
  bool keep_checkpoint = false;
  std::string resume;      // continue from this checkpoint
  std::string log_path;    // one JSON line per epoch
  // Where progress goes (steps and epoch summaries); null = nowhere. The CLI draws a bar.
  ProgressCallback on_progress;

  // Transfer (fine-tuning and pretrained vectors; see finetune).
  std::string pretrained_vectors;
  Freeze freeze = Freeze::kNone;  // parse_freeze
  // What a model continued from another (train::continue_training) records about its start.
  nlohmann::json lineage = nlohmann::json::object();

  // Knowledge distillation (set by train::distill_model, see distill.h): the training texts
  // also learn the teachers' softened probabilities, and these unlabelled texts join them.
  std::shared_ptr<const Distillation> distillation;

  Status validate() const;
};

// The options a model records about how it was trained (metadata training.options): the one
// place that writes them.
nlohmann::json training_options_json(const TrainOptions& options);

// Parses "balanced" or "pos=2,neg=1" into per-label weights for `labels` given label counts.
StatusOr<std::vector<float>> parse_class_weights(const std::string& spec,
                                                 const std::vector<std::string>& labels,
                                                 const std::vector<int64_t>& counts);

}  // namespace fenlei::train
