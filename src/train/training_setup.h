// The pieces of a training run derived from TrainOptions: optimizer, learning-rate schedule,
// frozen and undecayed parameter lists, and initial weights (pretrained vectors, base models).
#pragma once

#include <string>
#include <vector>

#include "fenlei/status.h"
#include "nn/lr_schedule.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "train/encoded_data.h"
#include "train/train_options.h"

namespace fenlei::train {

StatusOr<nn::Optimizer> make_optimizer(const TrainOptions& options, const nn::Params& params);
StatusOr<nn::LrSchedule> make_schedule(const TrainOptions& options, int steps_per_epoch);

// Names of the parameters that --freeze keeps fixed.
std::vector<std::string> frozen_parameters(const TrainOptions& options, const nn::Network& net);
// Names of bias vectors (no L2 penalty on them, as Keras' kernel_regularizer).
std::vector<std::string> bias_parameters(const nn::Network& net);
// Zeroes the gradients of frozen parameters.
void zero_frozen(const std::vector<std::string>& frozen, const nn::Network& net, nn::Grads* grads);

}  // namespace fenlei::train
