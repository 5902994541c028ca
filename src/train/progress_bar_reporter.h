// A training run's progress as people see it (the CLI's train, finetune and prune, and the
// library's training API): a progress bar per epoch on stderr and one log line per finished
// epoch, drawn from the trainer's progress callback. Silent below LogLevel::kInfo.
#pragma once

#include "train/train_progress.h"

namespace fenlei::train {

ProgressCallback progress_bar_reporter();

}  // namespace fenlei::train
