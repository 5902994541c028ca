// The training loop: data -> vocabulary -> ragged length-bucketed batches -> data-parallel
// forward/backward over a thread pool -> gradients summed in thread order -> one optimizer step.
// With --threads 1 and a fixed seed the saved model is byte-identical run after run; with T
// threads it is reproducible for that T.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/model_bundle.h"
#include "fenlei/metrics.h"
#include "fenlei/status.h"
#include "train/epoch_record.h"
#include "train/train_options.h"

namespace fenlei::train {

struct TrainResult {
  core::ModelBundle bundle;       // the saved model (best weights when restore_best)
  eval::Metrics valid_metrics;    // of the saved weights on the validation data
  std::vector<EpochRecord> history;
  int best_epoch = 0;
  bool stopped_early = false;
};

// Runs a whole training run and writes options.output (and checkpoints). Progress goes to
// stderr through the logger; nothing is printed to stdout.
StatusOr<TrainResult> train_model(const TrainOptions& options);

}  // namespace fenlei::train
