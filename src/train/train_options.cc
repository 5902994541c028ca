#include "train/train_options.h"

#include <sstream>

namespace fenlei::train {

Status TrainOptions::validate() const {
  if (input.empty()) return invalid_argument_error("no training data: pass --input FILE");
  if (output.empty()) return invalid_argument_error("no output file: pass --output MODEL");
  if (epochs < 1) return invalid_argument_error("--epochs must be at least 1");
  if (batch_size < 1) return invalid_argument_error("--batch-size must be at least 1");
  if (valid.empty() && !(validation_split > 0.0 && validation_split < 1.0)) {
    return invalid_argument_error(
        "--validation-split must be in (0, 1) when no --valid file is given");
  }
  if (!(optimizer.lr > 0.0f)) return invalid_argument_error("--lr must be positive");
  if (patience < 0) return invalid_argument_error("--patience must be >= 0");
  if (vocab_size != 0 && vocab_size < 3) {
    return invalid_argument_error("--vocab-size must be 0 (no limit) or at least 3");
  }
  if (preprocess.max_len < 0) return invalid_argument_error("--max-len must be >= 0");
  if (l2 < 0 || optimizer.weight_decay < 0 || clip_norm < 0) {
    return invalid_argument_error("--l2, --weight-decay and --clip-norm must be >= 0");
  }
  if (threads < 0) return invalid_argument_error("--threads must be >= 0 (0 = all cores)");
  return model.validate_architecture();
}

StatusOr<std::vector<float>> parse_class_weights(const std::string& spec,
                                                 const std::vector<std::string>& labels,
                                                 const std::vector<int64_t>& counts) {
  std::vector<float> weights(labels.size(), 1.0f);
  if (spec.empty()) return weights;
  if (spec == "balanced") {
    // sklearn's "balanced": n_samples / (n_classes * count(class)).
    int64_t total = 0;
    for (int64_t c : counts) total += c;
    for (size_t i = 0; i < labels.size(); ++i) {
      weights[i] = counts[i] > 0 ? static_cast<float>(static_cast<double>(total) /
                                                      (static_cast<double>(labels.size()) *
                                                       static_cast<double>(counts[i])))
                                 : 1.0f;
    }
    return weights;
  }
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t eq = item.rfind('=');
    if (eq == std::string::npos) {
      return invalid_argument_error("--class-weight: expected label=weight, got '" + item + "'");
    }
    const std::string label = item.substr(0, eq);
    float w = 0;
    try {
      size_t used = 0;
      w = std::stof(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument("trailing");
    } catch (...) {
      return invalid_argument_error("--class-weight: bad weight in '" + item + "'");
    }
    if (!(w > 0)) return invalid_argument_error("--class-weight: weights must be positive");
    bool found = false;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] == label) {
        weights[i] = w;
        found = true;
      }
    }
    if (!found) {
      return invalid_argument_error("--class-weight: label '" + label +
                                    "' does not occur in the training data");
    }
  }
  return weights;
}

nlohmann::json training_options_json(const TrainOptions& options) {
  return {{"epochs", options.epochs},
          {"batch_size", options.batch_size},
          {"optimizer", nn::optimizer_kind_name(options.optimizer.kind)},
          {"lr", options.optimizer.lr},
          {"lazy_embeddings", options.optimizer.lazy_embeddings},
          {"lr_schedule", lr_schedule_name(options.schedule.kind)},
          {"l2", options.l2},
          {"weight_decay", options.optimizer.weight_decay},
          {"class_weight", options.class_weight},
          {"patience", options.patience},
          {"restore_best", options.restore_best},
          {"monitor", monitor_name(options.monitor)},
          {"vocab_size", options.vocab_size},
          {"min_count", options.min_count},
          {"seed", options.seed}};
}

}  // namespace fenlei::train
