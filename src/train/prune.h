// `fenlei prune` as a library call: structured magnitude pruning of a float model (see
// prune_network.h), a short recovery fine-tune on the training data with the model's own
// preprocessing and vocabulary, and a before/after report of size, model-compute speed and
// accuracy, recorded in the output's metadata (lineage.pruning).
//
//   train::PruneOptions p;
//   p.model = "reviews.fenlei"; p.sparsity = 0.5;
//   p.train.input = "train.tsv"; p.train.valid = "dev.tsv"; p.train.output = "pruned.fenlei";
//   FENLEI_ASSIGN_OR_RETURN(train::PruneResult r, train::prune_model(p));
#pragma once

#include <cstdint>
#include <string>

#include "core/model_bundle.h"
#include "fenlei/status.h"
#include "train/prune_network.h"
#include "train/train_options.h"

namespace fenlei::train {

struct PruneOptions {
  std::string model;      // a float model file
  double sparsity = 0.5;  // fraction of filters/units removed per layer, in (0, 1)
  // The recovery fine-tune: data (input, valid or validation_split), output, epochs, lr,
  // batch size, seed, threads. Architecture, preprocessing and vocabulary come from the model;
  // no new words or labels are added.
  TrainOptions train;
};

// One model measured on the evaluation data (train.valid, else the held-out validation split
// of train.input — the same examples the recovery fine-tune validates on).
struct ModelMeasurement {
  uint64_t file_bytes = 0;
  int64_t parameters = 0;
  double accuracy = 0.0;
  // Model compute only (texts already encoded), one thread, best of 3 interleaved rounds.
  double examples_per_second = 0.0;
};

struct PruneResult {
  core::ModelBundle bundle;  // the written model
  nn::ModelConfig base_config;    // the original architecture
  nn::ModelConfig pruned_config;  // the written model's architecture
  PruneSelection selection;
  ModelMeasurement before;   // the original model
  double pruned_accuracy = 0.0;  // right after removing the filters, before the fine-tune
  ModelMeasurement after;    // the written model
  std::string eval_data;     // what accuracy was measured on
  size_t eval_examples = 0;
};

// FAILED_PRECONDITION for an int8 model (prune the float model, then quantize) or a model with
// nothing to prune; INVALID_ARGUMENT for a sparsity outside (0, 1) or too small to remove any
// unit, and for unknown labels in the data; otherwise as train_model. The output is written
// atomically, and only once everything succeeded.
StatusOr<PruneResult> prune_model(const PruneOptions& options);

}  // namespace fenlei::train
