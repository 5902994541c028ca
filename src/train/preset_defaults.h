// Per-preset training defaults: the tokenizer, optimiser, epochs, stopping rule and vocabulary
// that each model preset trains best with, applied to the options a user did not set.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/preprocessor.h"
#include "fenlei/status.h"
#include "train/train_options.h"

namespace fenlei::train {

// One preset's training defaults. The same values hold for every dataset: they were chosen by
// reasoning about the network and checked on all four benchmark datasets together
// (docs/accuracy.md), never tuned per dataset.
struct PresetDefaults {
  std::string preset;
  core::TokenizerKind tokenizer = core::TokenizerKind::kWord;
  // Choose the tokenizer from the training data's script instead (`--tokenizer auto`).
  bool tokenizer_by_script = false;
  size_t vocab_size = 10000;  // 0 = no limit
  int max_len = 0;            // 0 = the 95th percentile of the training texts
  int epochs = 10;
  int batch_size = 32;
  nn::OptimizerKind optimizer = nn::OptimizerKind::kAdam;
  float lr = 1e-3f;
  bool lazy_embeddings = false;  // Adam: update only the embedding rows a batch touched
  LrScheduleKind lr_schedule = LrScheduleKind::kConstant;
  Monitor monitor = Monitor::kValidLoss;
  int patience = 0;
  int64_t bigram_buckets = 0;  // fasttext: rows of the hashed token-bigram table (0 = none)
  std::string why;  // one line for --help and docs
};

// The defaults of `preset` ("seed-cnn", "textcnn", "fasttext"). Errors: kInvalidArgument.
StatusOr<PresetDefaults> preset_defaults(const std::string& preset);

// All presets' defaults, in the order above (for --help and tests).
std::vector<PresetDefaults> all_preset_defaults();

// Names of the flags a PresetDefaults covers, e.g. "epochs", "lr", "tokenizer".
const std::vector<std::string>& preset_default_flags();

// Copies every default into *options except those whose flag name (as in
// preset_default_flags()) `is_set` reports as given explicitly by the user. Returns the names
// of the flags that took the preset's value.
std::vector<std::string> apply_preset_defaults(const PresetDefaults& defaults,
                                               const std::function<bool(const std::string&)>& is_set,
                                               TrainOptions* options);

// A human-readable table of every preset's defaults (for `fenlei train --help`).
std::string describe_preset_defaults();

}  // namespace fenlei::train
