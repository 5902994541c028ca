// The flags of `fenlei train` (data, preprocessing, model, training, files), shared by the
// commands that train a network with them: train and distill.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "fenlei/status.h"
#include "train/train_options.h"

namespace fenlei::cli {

struct TrainFlags {
  train::TrainOptions o;
  std::string format = "auto";
  std::string tokenizer = "word";
  std::string model = "seed-cnn";
  std::string model_json;
  int embed_dim = 0, filters = 0;
  std::vector<int> widths, hidden;
  std::string activation, output;
  // Named choices, parsed into o once the preset's defaults are known.
  std::string optimizer, lr_schedule, monitor, freeze;
  float dropout = -1;
  int64_t bigram_buckets = 0;
  bool no_hmm = false;
  bool no_restore_best = false;
  bool mpi = false;
};

// Adds every training flag to `app`, storing into f.
void add_train_flags(CLI::App& app, TrainFlags& f);
// After parsing: the preset's defaults for flags not given, named choices parsed, architecture
// overrides applied; then TrainOptions::validate.
Status finish_train_flags(const CLI::App& app, TrainFlags& f);

}  // namespace fenlei::cli
