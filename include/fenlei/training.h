// Training, evaluation, quantisation and saving as a library call: what `fenlei train`, `fenlei
// test` and `fenlei quantize` do, for programs (and the Python package) that hold a Classifier.
//
//   fenlei::TrainSettings settings;          // the CLI's defaults: seed-cnn and its preset's
//   settings.model = "fasttext";
//   settings.epochs = 5;                     // unset optional fields take the preset's value
//   auto model = fenlei::train_classifier("train.tsv", settings);
//   if (!model.ok()) { std::cerr << model.status().message() << "\n"; return 1; }
//   auto metrics = fenlei::evaluate_classifier(**model, "test.tsv");
//   auto small = fenlei::quantize_classifier(**model);
//   fenlei::save_classifier(**small, "reviews.int8.fenlei");
//
// Every function returns a Status with the same message the CLI prints; nothing throws. Progress
// and logs go to stderr through fenlei/log.h (set_log_level(LogLevel::kWarning) silences them).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fenlei/classifier.h"
#include "fenlei/metrics.h"
#include "fenlei/status.h"

namespace fenlei {

// Texts and their labels, in memory (texts[i] has labels[i]).
struct LabelledTexts {
  std::vector<std::string> texts;
  std::vector<std::string> labels;
};

// The settings of `fenlei train` that programs need, named as its flags (--batch-size ->
// batch_size). Fields that are std::optional take the preset's training default when unset,
// exactly as an absent flag does (docs/accuracy.md); the others have the CLI's defaults.
struct TrainSettings {
  // Data (files only; in-memory data comes as LabelledTexts).
  std::string valid;               // validation file; empty: the last validation_split of the data
  double validation_split = 0.2;
  std::string format = "auto";     // auto, tsv, csv, jsonl, fasttext
  std::string text_column = "text";
  std::string label_column = "label";
  bool skip_bad_rows = false;

  // Preprocessing.
  std::optional<std::string> tokenizer;  // word, char, word+char
  bool hmm = true;
  std::string user_dict;                 // jieba user dictionary file, stored in the model
  bool lowercase = false;
  bool fullwidth_to_halfwidth = false;
  bool traditional_to_simplified = false;
  std::optional<int64_t> vocab_size;     // 0 = no limit
  int64_t min_count = 1;
  std::optional<int> max_len;            // 0 = the 95th percentile of the training texts

  // Model.
  std::string model = "seed-cnn";        // seed-cnn, textcnn, fasttext, dpcnn
  int embed_dim = 0;                     // 0: the preset's
  int filters = 0;                       // 0: the preset's
  std::vector<int> widths;               // empty: the preset's
  std::vector<int> hidden;               // empty: the preset's
  std::optional<float> dropout;
  std::optional<int64_t> bigram_buckets;

  // Optimisation.
  std::optional<int> epochs;
  std::optional<int> batch_size;
  std::optional<std::string> optimizer;  // adam, adamw, sgd
  std::optional<float> lr;
  std::optional<std::string> lr_schedule;  // constant, step, cosine, plateau
  std::optional<int> patience;             // early stopping; 0 = off
  std::optional<std::string> monitor;      // valid_loss, valid_accuracy
  float weight_decay = 0.0f;
  float l2 = 0.0f;
  float clip_norm = 0.0f;
  std::string class_weight;                // "", "balanced" or "pos=2,neg=1"
  bool restore_best = true;
  uint64_t seed = 42;
  int threads = 0;  // 0 = all cores

  // Files (all optional: the returned Classifier is the trained model either way).
  std::string output;      // also save the model here
  std::string log_path;    // one JSON line per epoch
};

// Trains on a data file (TSV, CSV, JSONL or fastText, as `fenlei train --input`).
// Errors: those of `fenlei train` (INVALID_ARGUMENT for bad settings or data, NOT_FOUND, ...).
StatusOr<std::shared_ptr<const Classifier>> train_classifier(const std::string& path,
                                                             const TrainSettings& settings);

// Trains on texts in memory; `valid` (may be null) is the validation data, else
// settings.valid or the last settings.validation_split of `data`. Texts must be valid UTF-8
// and labels non-empty (INVALID_ARGUMENT naming the index otherwise).
StatusOr<std::shared_ptr<const Classifier>> train_classifier(const LabelledTexts& data,
                                                             const LabelledTexts* valid,
                                                             const TrainSettings& settings);

// `fenlei test`: loss, accuracy, macro/weighted F1, per-class metrics and the confusion
// matrix of `model` on labelled data (a file as `fenlei test` reads it, or texts in memory).
// INVALID_ARGUMENT for a label the model does not know (the message lists the ones it does).
StatusOr<eval::Metrics> evaluate_classifier(const Classifier& model, const std::string& path,
                                            const std::string& format = "auto");
StatusOr<eval::Metrics> evaluate_classifier(const Classifier& model, const LabelledTexts& data);

struct QuantizeSettings {
  bool per_channel = true;         // false: one weight scale per tensor
  bool embedding_per_row = false;  // true: one f16 scale per embedding row
};

// `fenlei quantize`: the int8 version of a float model. FAILED_PRECONDITION for a model that
// is int8 already.
StatusOr<std::shared_ptr<const Classifier>> quantize_classifier(
    const Classifier& model, const QuantizeSettings& settings = {});

// Writes the model file (atomically: a temporary file renamed into place).
Status save_classifier(const Classifier& model, const std::string& path);

}  // namespace fenlei
