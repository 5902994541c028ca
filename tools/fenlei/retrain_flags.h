// The flags of the commands that continue training a saved model (`fenlei finetune`, `fenlei
// prune`): one definition, so the two commands spell and explain them the same way.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "fenlei/status.h"
#include "train/train_options.h"

namespace fenlei::cli {

// --epochs, --lr, --batch-size, --optimizer, --format, --seed, -t/--threads, --log. The help
// shows the defaults already set in `o` (each command sets its own epochs and learning rate).
void add_retrain_options(CLI::App& app, train::TrainOptions& o, std::string& format);

// After parsing: turns --format into o.read.format. Errors: kInvalidArgument (unknown format).
Status apply_retrain_format(const std::string& format, train::TrainOptions& o);

}  // namespace fenlei::cli
