// The CLI's view of a training run's progress (train, finetune, prune): a progress bar per epoch
// on stderr and one log line per finished epoch, drawn from the trainer's progress callback.
#pragma once

#include "train/train_progress.h"

namespace fenlei::cli {

train::ProgressCallback progress_bar_reporter();

}  // namespace fenlei::cli
