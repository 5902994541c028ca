#include "train/training_choices.h"

namespace fenlei::train {

StatusOr<LrScheduleKind> parse_lr_schedule(const std::string& name) {
  if (name == "constant") return LrScheduleKind::kConstant;
  if (name == "step") return LrScheduleKind::kStep;
  if (name == "cosine") return LrScheduleKind::kCosine;
  if (name == "plateau") return LrScheduleKind::kPlateau;
  return invalid_argument_error("unknown --lr-schedule '" + name +
                                "' (expected constant, step, cosine or plateau)");
}

const char* lr_schedule_name(LrScheduleKind kind) {
  switch (kind) {
    case LrScheduleKind::kConstant: return "constant";
    case LrScheduleKind::kStep: return "step";
    case LrScheduleKind::kCosine: return "cosine";
    case LrScheduleKind::kPlateau: return "plateau";
  }
  return "constant";
}

StatusOr<Monitor> parse_monitor(const std::string& name) {
  if (name == "valid_loss") return Monitor::kValidLoss;
  if (name == "valid_accuracy") return Monitor::kValidAccuracy;
  return invalid_argument_error("unknown --monitor '" + name +
                                "' (expected valid_loss or valid_accuracy)");
}

const char* monitor_name(Monitor monitor) {
  switch (monitor) {
    case Monitor::kValidLoss: return "valid_loss";
    case Monitor::kValidAccuracy: return "valid_accuracy";
  }
  return "valid_loss";
}

StatusOr<Freeze> parse_freeze(const std::string& name) {
  if (name.empty() || name == "none") return Freeze::kNone;
  if (name == "embedding") return Freeze::kEmbedding;
  if (name == "conv") return Freeze::kConv;
  return invalid_argument_error("unknown --freeze '" + name +
                                "' (expected none, embedding or conv)");
}

const char* freeze_name(Freeze freeze) {
  switch (freeze) {
    case Freeze::kNone: return "";
    case Freeze::kEmbedding: return "embedding";
    case Freeze::kConv: return "conv";
  }
  return "";
}

}  // namespace fenlei::train
