// Checkpoints: a model file plus the optimizer's state, the best weights so far and the loop's
// counters, written atomically after every epoch so that --resume continues a run exactly.
#pragma once

#include <string>
#include <vector>

#include "core/model_bundle.h"
#include "fenlei/status.h"
#include "nn/lr_schedule.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "nn/params.h"
#include "train/epoch_record.h"

namespace fenlei::train {

struct TrainState {
  int epochs_done = 0;
  int best_epoch = 0;
  double best_value = 0;
  int epochs_without_improvement = 0;
  nn::Params best_params;  // empty unless restore_best
  std::vector<EpochRecord> history;
};

// `bundle` holds the run's tokenizer, labels and record; `net` its weights.
Status save_checkpoint(const std::string& path, const core::ModelBundle& bundle,
                       const nn::Network& net, const nn::Optimizer& optimizer,
                       const nn::LrSchedule& schedule,
                       const TrainState& state);

// Restores weights, optimizer and loop state into objects built for the same run. The
// checkpoint's vocabulary and labels must equal the bundle's (same data, same settings), and
// its architecture net's.
Status load_checkpoint(const std::string& path, const core::ModelBundle& bundle,
                       nn::Network* net, nn::Optimizer* optimizer, nn::LrSchedule* schedule,
                       TrainState* state);

}  // namespace fenlei::train
