// Checks of the files a command will write, made before any work starts: an output that is one
// of the inputs (it would be destroyed) or that cannot be written is reported at once, not after
// training. One call per command; see check_output_path in fenlei/file_util.h.
#pragma once

#include <string>
#include <vector>

#include "fenlei/status.h"
#include "train/train_options.h"

namespace fenlei::cli {

// The model (--output), the checkpoint (default MODEL.ckpt) and the --log file of a training run
// (train, finetune, prune): each writable, none of the run's inputs (--input, --valid, --resume,
// dictionaries, pretrained vectors, and `more_inputs` such as the base model), none the same as
// another. A checkpoint may be the --resume file: resuming continues writing it.
Status check_training_paths(const train::TrainOptions& o,
                            const std::vector<std::string>& more_inputs = {});

}  // namespace fenlei::cli
