// fenlei/training.h: a thin facade over train::train_model, the evaluation in `fenlei test` and
// quant::quantize_bundle. It only translates settings and data; the work stays in those
// functions, so changes to the trainer reach library users without edits here.
#include "fenlei/training.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/classifier_impl.h"
#include "core/model_bundle.h"
#include "data/dataset.h"
#include "base/file_util.h"
#include "text/utf8.h"
#include "eval/evaluate.h"
#include "quant/int8_model.h"
#include "train/encoded_data.h"
#include "train/preset_defaults.h"
#include "train/progress_bar_reporter.h"
#include "train/trainer.h"

namespace fenlei {
namespace {

// A private temporary directory, removed with everything in it when this object goes away.
class TempDir {
 public:
  static StatusOr<TempDir> create() {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string pattern = (base / "fenlei-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return failed_precondition_error("cannot create a temporary directory in " + base.string());
    }
    return TempDir(pattern);
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The CLI's finish_options, for TrainSettings: preset first, then every setting given.
StatusOr<train::TrainOptions> to_train_options(const TrainSettings& s) {
  train::TrainOptions o;
  o.valid = s.valid;
  o.validation_split = s.validation_split;
  FENLEI_ASSIGN_OR_RETURN(o.read.format, data::parse_data_format(s.format));
  o.read.text_column = s.text_column;
  o.read.label_column = s.label_column;
  o.read.skip_bad_rows = s.skip_bad_rows;

  FENLEI_ASSIGN_OR_RETURN(o.model, nn::ModelConfig::preset(s.model));
  FENLEI_ASSIGN_OR_RETURN(train::PresetDefaults defaults, train::preset_defaults(s.model));
  const auto given = [&](const std::string& flag) {
    if (flag == "tokenizer") return s.tokenizer.has_value();
    if (flag == "vocab-size") return s.vocab_size.has_value();
    if (flag == "max-len") return s.max_len.has_value();
    if (flag == "epochs") return s.epochs.has_value();
    if (flag == "batch-size") return s.batch_size.has_value();
    if (flag == "optimizer") return s.optimizer.has_value();
    if (flag == "lr") return s.lr.has_value();
    if (flag == "lr-schedule") return s.lr_schedule.has_value();
    if (flag == "monitor") return s.monitor.has_value();
    if (flag == "patience") return s.patience.has_value();
    if (flag == "bigram-buckets") return s.bigram_buckets.has_value();
    return false;  // e.g. lazy-embeddings: always the preset's
  };
  train::apply_preset_defaults(defaults, given, &o);
  if (s.tokenizer) {
    FENLEI_ASSIGN_OR_RETURN(o.preprocess.tokenizer, core::parse_tokenizer_kind(*s.tokenizer));
  }
  if (s.vocab_size) {
    if (*s.vocab_size < 0) return invalid_argument_error("--vocab-size must be >= 0");
    o.vocab_size = static_cast<size_t>(*s.vocab_size);
  }
  if (s.max_len) o.preprocess.max_len = *s.max_len;
  if (s.epochs) o.epochs = *s.epochs;
  if (s.batch_size) o.batch_size = *s.batch_size;
  if (s.optimizer) {
    FENLEI_ASSIGN_OR_RETURN(o.optimizer.kind, nn::parse_optimizer_kind(*s.optimizer));
  }
  if (s.lr) o.optimizer.lr = *s.lr;
  if (s.lr_schedule) {
    FENLEI_ASSIGN_OR_RETURN(o.schedule.kind, train::parse_lr_schedule(*s.lr_schedule));
  }
  if (s.monitor) {
    FENLEI_ASSIGN_OR_RETURN(o.monitor, train::parse_monitor(*s.monitor));
  }
  if (s.patience) o.patience = *s.patience;
  o.preprocess.hmm = s.hmm;
  o.preprocess.normalize.lowercase = s.lowercase;
  o.preprocess.normalize.fullwidth_to_halfwidth = s.fullwidth_to_halfwidth;
  o.preprocess.normalize.traditional_to_simplified = s.traditional_to_simplified;
  o.user_dict_path = s.user_dict;
  o.min_count = s.min_count;

  if (s.embed_dim > 0) o.model.embed_dim = s.embed_dim;
  if (s.filters > 0) o.model.filters = s.filters;
  if (!s.widths.empty()) o.model.widths = s.widths;
  if (!s.hidden.empty()) o.model.hidden = s.hidden;
  if (s.dropout) o.model.dropout = *s.dropout;
  if (s.bigram_buckets) o.model.bigram_buckets = *s.bigram_buckets;

  o.optimizer.weight_decay = s.weight_decay;
  o.l2 = s.l2;
  o.clip_norm = s.clip_norm;
  o.class_weight = s.class_weight;
  o.restore_best = s.restore_best;
  o.seed = s.seed;
  o.threads = s.threads;
  o.log_path = s.log_path;
  o.checkpoint = "none";  // a library call either finishes or fails; nothing to resume
  return o;
}

// Runs the trainer on `input` (and the already set o.valid), then loads what it wrote.
StatusOr<std::shared_ptr<const Classifier>> run_training(train::TrainOptions o,
                                                         const std::string& input,
                                                         const std::string& output,
                                                         const TempDir& tmp) {
  o.input = input;
  o.output = output.empty() ? tmp.file("model.fenlei") : output;
  FENLEI_RETURN_IF_ERROR(o.validate());
  // The CLI's progress bar and epoch lines; silent below LogLevel::kInfo (verbose=0 in Python).
  if (!o.on_progress) o.on_progress = train::progress_bar_reporter();
  FENLEI_RETURN_IF_ERROR(train::train_model(o).status());
  return Classifier::load(o.output);
}

}  // namespace

StatusOr<std::shared_ptr<const Classifier>> train_classifier(const std::string& path,
                                                             const TrainSettings& settings) {
  FENLEI_ASSIGN_OR_RETURN(train::TrainOptions options, to_train_options(settings));
  FENLEI_ASSIGN_OR_RETURN(TempDir tmp, TempDir::create());
  return run_training(std::move(options), path, settings.output, tmp);
}

StatusOr<std::shared_ptr<const Classifier>> train_classifier(const LabelledTexts& data,
                                                             const LabelledTexts* valid,
                                                             const TrainSettings& settings) {
  FENLEI_ASSIGN_OR_RETURN(train::TrainOptions options, to_train_options(settings));
  FENLEI_ASSIGN_OR_RETURN(TempDir tmp, TempDir::create());
  // The trainer takes the data as it is; the names stand for it in messages and the model's
  // record. A validation file is read by the trainer, with the settings' format.
  options.input = "training data (in memory)";
  FENLEI_ASSIGN_OR_RETURN(data::Dataset train,
                          data::dataset_from_texts(data.texts, data.labels, options.read,
                                                   options.input));
  options.train_data = std::make_shared<const data::Dataset>(std::move(train));
  if (valid != nullptr) {
    options.valid = "validation data (in memory)";
    FENLEI_ASSIGN_OR_RETURN(data::Dataset v,
                            data::dataset_from_texts(valid->texts, valid->labels, options.read,
                                                     options.valid));
    options.valid_data = std::make_shared<const data::Dataset>(std::move(v));
  }
  const std::string input_name = options.input;
  return run_training(std::move(options), input_name, settings.output, tmp);
}

StatusOr<eval::Metrics> evaluate_classifier(const Classifier& model, const LabelledTexts& data) {
  if (data.texts.size() != data.labels.size()) {
    return invalid_argument_error(std::to_string(data.texts.size()) + " texts but " +
                                  std::to_string(data.labels.size()) + " labels");
  }
  if (data.texts.empty()) return invalid_argument_error("no examples");
  const std::vector<std::string>& labels = model.info().labels;
  std::vector<int> truth;
  truth.reserve(data.labels.size());
  for (size_t i = 0; i < data.labels.size(); ++i) {
    auto it = std::find(labels.begin(), labels.end(), data.labels[i]);
    if (it == labels.end()) {
      std::string known;
      for (const auto& l : labels) known += (known.empty() ? "" : ", ") + l;
      return invalid_argument_error("example " + std::to_string(i) + ": label '" +
                                    data.labels[i] + "' is not one of the model's (the model " +
                                    "knows: " + known + ")");
    }
    truth.push_back(static_cast<int>(it - labels.begin()));
  }
  // The one evaluation function, as `fenlei test` and the trainer use it.
  FENLEI_ASSIGN_OR_RETURN(eval::Evaluation e,
                          eval::evaluate_texts(model.impl().model, data.texts, truth, 0));
  return e.metrics;
}

StatusOr<eval::Metrics> evaluate_classifier(const Classifier& model, const std::string& path,
                                            const std::string& format) {
  data::ReadOptions read;
  FENLEI_ASSIGN_OR_RETURN(read.format, data::parse_data_format(format));
  FENLEI_ASSIGN_OR_RETURN(data::Dataset dataset, data::read_dataset(path, read));
  if (dataset.examples.empty()) return invalid_argument_error(path + ": no examples");
  const auto& labels = model.info().labels;
  // label_ids for the message `fenlei test` prints (file and line of an unknown label).
  auto ids = data::label_ids(dataset, labels, path);
  if (!ids.ok()) {
    std::string known;
    for (const auto& l : labels) known += (known.empty() ? "" : ", ") + l;
    return invalid_argument_error(ids.status().message() + " (the model knows: " + known + ")");
  }
  LabelledTexts texts;
  texts.texts.reserve(dataset.examples.size());
  texts.labels.reserve(dataset.examples.size());
  for (auto& e : dataset.examples) {
    texts.texts.push_back(std::move(e.text));
    texts.labels.push_back(std::move(e.label));
  }
  return evaluate_classifier(model, texts);
}

StatusOr<std::shared_ptr<const Classifier>> quantize_classifier(const Classifier& model,
                                                                const QuantizeSettings& settings) {
  const core::ModelBundle& bundle = model.impl().model;
  quant::QuantizeOptions options;
  options.per_channel = settings.per_channel;
  options.embedding_per_row = settings.embedding_per_row;
  FENLEI_ASSIGN_OR_RETURN(core::ModelBundle int8_model, core::quantize_bundle(bundle, options));
  int8_model.quantization["source_checksum"] = model.info().checksum;
  FENLEI_ASSIGN_OR_RETURN(std::string bytes,
                          core::serialize_with_size(&int8_model, model.info().file_bytes));
  return Classifier::load_from_memory(bytes, "int8 model");
}

Status save_classifier(const Classifier& model, const std::string& path) {
  return core::save_bundle(path, model.impl().model);
}

}  // namespace fenlei
