// Learning-rate schedules.
#include "nn/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace fenlei::nn {

StatusOr<LrDecay> parse_lr_decay(const std::string& s) {
  if (s == "constant") return LrDecay::kConstant;
  if (s == "step") return LrDecay::kStep;
  if (s == "cosine") return LrDecay::kCosine;
  return invalid_argument_error("unknown lr schedule '" + s + "' (expected constant, step or cosine)");
}

Status LrScheduleConfig::validate() const {
  auto bad = [](const std::string& m) { return invalid_argument_error("lr schedule: " + m); };
  if (!(base_lr > 0.0f && base_lr < 100.0f)) return bad("learning rate must be in (0, 100)");
  if (step_epochs < 1) return bad("step_epochs must be >= 1");
  if (!(gamma > 0.0f && gamma <= 1.0f)) return bad("gamma must be in (0, 1]");
  if (total_epochs < 1) return bad("total_epochs must be >= 1");
  if (!(min_lr >= 0.0f && min_lr <= base_lr)) return bad("min_lr must be in [0, base_lr]");
  if (warmup_steps < 0) return bad("warmup_steps must be >= 0");
  if (!(plateau_factor > 0.0f && plateau_factor <= 1.0f))
    return bad("plateau factor must be in (0, 1]");
  if (plateau_patience < 0) return bad("plateau patience must be >= 0");
  return Status();
}

StatusOr<LrSchedule> LrSchedule::create(const LrScheduleConfig& config) {
  FENLEI_RETURN_IF_ERROR(config.validate());
  LrSchedule s;
  s.c_ = config;
  return s;
}

float LrSchedule::lr(int epoch, int step_in_epoch, int steps_per_epoch) const {
  double lr = c_.base_lr;
  switch (c_.decay) {
    case LrDecay::kConstant:
      break;
    case LrDecay::kStep:
      lr *= std::pow(double(c_.gamma), epoch / c_.step_epochs);
      break;
    case LrDecay::kCosine: {
      const double progress =
          std::min(1.0, (epoch + double(step_in_epoch) / std::max(1, steps_per_epoch)) /
                            c_.total_epochs);
      lr = c_.min_lr + (c_.base_lr - c_.min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
      break;
    }
  }
  const int64_t global = int64_t(epoch) * steps_per_epoch + step_in_epoch;
  if (c_.warmup_steps > 0 && global < c_.warmup_steps)
    lr *= double(global + 1) / c_.warmup_steps;
  lr *= scale_;
  if (c_.plateau_factor < 1.0f) lr = std::max(lr, double(std::min(c_.min_lr, c_.base_lr)));
  return static_cast<float>(lr);
}

bool LrSchedule::on_epoch_end(double valid_loss) {
  if (valid_loss < best_ - c_.plateau_min_delta) {
    best_ = valid_loss;
    bad_epochs_ = 0;
    return false;
  }
  if (c_.plateau_factor >= 1.0f) return false;
  if (++bad_epochs_ >= c_.plateau_patience) {
    bad_epochs_ = 0;
    scale_ *= c_.plateau_factor;
    return true;
  }
  return false;
}

}  // namespace fenlei::nn
