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

// Continues training `start` (a model with a float network and a vocabulary tokenizer) on
// options' data: the architecture, preprocessing, labels (new ones appended when
// allow_new_labels), vocabulary (extended with the data's new words, at most
// options.vocab_size) and weights are the start's; options.model and options.preprocess are
// ignored. The saved model records options.lineage. Fine-tuning and pruning's recovery pass
// build their start and call this. Errors: as train_model, plus FAILED_PRECONDITION for a start
// the trainer cannot continue and INVALID_ARGUMENT for an unknown label.
StatusOr<TrainResult> continue_training(const TrainOptions& options, const core::ModelBundle& start,
                                        bool allow_new_labels);

}  // namespace fenlei::train
