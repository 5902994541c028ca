// The named choices of a training run (learning-rate schedule, stopping monitor, frozen
// layers) as types. Flags and the public facade parse their names once, at the boundary; the
// trainer switches on the enums, and training_options_json writes the names back.
#pragma once

#include <string>

#include "fenlei/status.h"

namespace fenlei::train {

// How the learning rate moves over a run. plateau: constant until validation loss stalls.
enum class LrScheduleKind { kConstant, kStep, kCosine, kPlateau };

// What decides the best epoch and early stopping.
enum class Monitor { kValidLoss, kValidAccuracy };

// Parameters kept fixed while training. kConv: embeddings and convolutions (only the head
// trains).
enum class Freeze { kNone, kEmbedding, kConv };

// constant | step | cosine | plateau. Errors: kInvalidArgument naming the allowed values.
StatusOr<LrScheduleKind> parse_lr_schedule(const std::string& name);
const char* lr_schedule_name(LrScheduleKind kind);

// valid_loss | valid_accuracy. Errors: kInvalidArgument naming the allowed values.
StatusOr<Monitor> parse_monitor(const std::string& name);
const char* monitor_name(Monitor monitor);

// "" (or "none") | embedding | conv. Errors: kInvalidArgument naming the allowed values.
StatusOr<Freeze> parse_freeze(const std::string& name);
// "" for kNone: the name a model's lineage has always recorded for "nothing frozen".
const char* freeze_name(Freeze freeze);

}  // namespace fenlei::train
