// The flags of the commands that continue training a saved model (`fenlei finetune`, `fenlei
// prune`): one definition, so the two commands spell and explain them the same way.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "fenlei/status.h"
#include "train/train_options.h"

namespace fenlei::cli {

// The named flags as given, parsed into TrainOptions by apply_retrain_flags.
struct RetrainNames {
  std::string format = "auto";
  std::string optimizer;  // add_retrain_options sets it to o.optimizer's name
};

// --epochs, --lr, --batch-size, --optimizer, --format, --seed, -t/--threads, --log. The help
// shows the defaults already set in `o` (each command sets its own epochs and learning rate).
void add_retrain_options(CLI::App& app, train::TrainOptions& o, RetrainNames& names);

// After parsing: turns --format and --optimizer into o. Errors: kInvalidArgument (unknown
// name).
Status apply_retrain_flags(const RetrainNames& names, train::TrainOptions& o);

}  // namespace fenlei::cli
