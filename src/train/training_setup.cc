#include "train/training_setup.h"

#include <algorithm>
#include <cmath>

namespace fenlei::train {

StatusOr<nn::Optimizer> make_optimizer(const TrainOptions& options, const nn::Params& params) {
  nn::OptimizerConfig config;
  FENLEI_ASSIGN_OR_RETURN(config.kind, nn::parse_optimizer_kind(options.optimizer));
  config.beta1 = options.beta1;
  config.beta2 = options.beta2;
  config.epsilon = options.epsilon;
  config.weight_decay = options.weight_decay;
  config.momentum = config.kind == nn::OptimizerKind::kSgd ? options.momentum : 0.0f;
  config.lazy_embeddings = options.lazy_embeddings;
  return nn::Optimizer::create(config, params);
}

StatusOr<nn::LrSchedule> make_schedule(const TrainOptions& options, int steps_per_epoch) {
  nn::LrScheduleConfig config;
  config.base_lr = options.lr;
  if (options.lr_schedule == "plateau") {
    config.decay = nn::LrDecay::kConstant;
    config.plateau_factor = options.plateau_factor;
    config.plateau_patience = options.plateau_patience;
  } else {
    FENLEI_ASSIGN_OR_RETURN(config.decay, nn::parse_lr_decay(options.lr_schedule));
  }
  config.step_epochs = options.lr_step_epochs;
  config.gamma = options.lr_gamma;
  config.total_epochs = options.epochs;
  config.min_lr = options.min_lr;
  config.warmup_steps = static_cast<int>(std::lround(options.warmup_epochs * steps_per_epoch));
  return nn::LrSchedule::create(config);
}

std::vector<std::string> frozen_parameters(const TrainOptions& options, const nn::Network& net) {
  std::vector<std::string> names;
  if (options.freeze == "embedding") {
    names = net.embedding_names();
  } else if (options.freeze == "conv") {
    // The feature extractor: embeddings and convolutions; only the dense head trains.
    names = net.embedding_names();
    for (const auto& t : net.params()) {
      if (t.name.rfind("conv", 0) == 0) names.push_back(t.name);
    }
  }
  return names;
}

std::vector<std::string> bias_parameters(const nn::Network& net) {
  std::vector<std::string> names;
  for (const auto& t : net.params()) {
    const std::string suffix = "/bias";
    if (t.name.size() >= suffix.size() &&
        t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(t.name);
    }
  }
  return names;
}

void zero_frozen(const std::vector<std::string>& frozen, const nn::Network& net, nn::Grads* grads) {
  for (const auto& name : frozen) {
    const int i = net.params().index_of(name);
    if (i < 0) continue;
    grads->zero(i);
  }
}

}  // namespace fenlei::train
