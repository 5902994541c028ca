// `fenlei train --init MODEL` and `fenlei finetune MODEL` when MODEL is a transformer: the flags
// of transformer fine-tuning (train/encoder_finetune.h), parsed here so that cmd_train and
// cmd_finetune only dispatch.
#pragma once

#include <string>

namespace fenlei::cli {

// True when argv has --init (train) or its first positional argument is a transformer model
// file (finetune).
bool wants_encoder_training(const std::string& command, int argc, char** argv);

// Runs the command; `command` is "train" or "finetune" (its positional BASE_MODEL is --init).
int run_encoder_training(const std::string& command, int argc, char** argv);

}  // namespace fenlei::cli
