// LrSchedule: learning rate per step — constant, step decay or cosine (to a floor), optionally
// with linear warm-up and reduce-on-plateau on top.
#pragma once

#include <string>

#include "fenlei/status.h"

namespace fenlei::nn {

enum class LrDecay { kConstant, kStep, kCosine };

struct LrScheduleConfig {
  float base_lr = 1e-3f;
  LrDecay decay = LrDecay::kConstant;
  int step_epochs = 1;     // kStep: multiply by gamma every step_epochs epochs
  float gamma = 0.5f;      // kStep
  int total_epochs = 10;   // kCosine: epochs over which lr goes from base_lr to min_lr
  float min_lr = 0.0f;     // kCosine floor; also the floor of reduce-on-plateau
  int warmup_steps = 0;    // linear ramp over the first global steps (0 = none)
  // Reduce-on-plateau (Keras ReduceLROnPlateau): after `patience` epochs without the validation
  // loss improving by more than min_delta, multiply lr by `factor`. factor 1 disables it.
  float plateau_factor = 1.0f;
  int plateau_patience = 2;
  float plateau_min_delta = 1e-4f;

  // Errors: kInvalidArgument naming the field.
  Status validate() const;
};

StatusOr<LrDecay> parse_lr_decay(const std::string& s);  // constant | step | cosine

// Not thread-safe; owned by the trainer loop.
class LrSchedule {
 public:
  LrSchedule() = default;
  // Errors: kInvalidArgument.
  static StatusOr<LrSchedule> create(const LrScheduleConfig& config);

  // lr for step `step_in_epoch` of `epoch` (both 0-based).
  float lr(int epoch, int step_in_epoch, int steps_per_epoch) const;
  // Feed the epoch's validation loss (plateau tracking). Returns true if lr was reduced.
  bool on_epoch_end(double valid_loss);

  // Plateau state, to save and restore for --resume.
  float plateau_scale() const { return scale_; }
  double best_loss() const { return best_; }
  int bad_epochs() const { return bad_epochs_; }
  void restore(float plateau_scale, double best_loss, int bad_epochs) {
    scale_ = plateau_scale;
    best_ = best_loss;
    bad_epochs_ = bad_epochs;
  }

 private:
  LrScheduleConfig c_;
  float scale_ = 1.0f;
  double best_ = 1e300;
  int bad_epochs_ = 0;
};

}  // namespace fenlei::nn
