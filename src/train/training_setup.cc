#include "train/training_setup.h"

#include <algorithm>
#include <cmath>

namespace fenlei::train {

StatusOr<nn::Optimizer> make_optimizer(const TrainOptions& options, const nn::Params& params) {
  nn::OptimizerConfig config;
  config.kind = options.optimizer.kind;
  config.beta1 = options.optimizer.beta1;
  config.beta2 = options.optimizer.beta2;
  config.epsilon = options.optimizer.epsilon;
  config.weight_decay = options.optimizer.weight_decay;
  config.momentum = config.kind == nn::OptimizerKind::kSgd ? options.optimizer.momentum : 0.0f;
  config.lazy_embeddings = options.optimizer.lazy_embeddings;
  return nn::Optimizer::create(config, params);
}

StatusOr<nn::LrSchedule> make_schedule(const TrainOptions& options, int steps_per_epoch) {
  nn::LrScheduleConfig config;
  config.base_lr = options.optimizer.lr;
  switch (options.schedule.kind) {
    case LrScheduleKind::kConstant: config.decay = nn::LrDecay::kConstant; break;
    case LrScheduleKind::kStep: config.decay = nn::LrDecay::kStep; break;
    case LrScheduleKind::kCosine: config.decay = nn::LrDecay::kCosine; break;
    case LrScheduleKind::kPlateau:
      // A constant rate that the scheduler reduces when validation loss stalls.
      config.decay = nn::LrDecay::kConstant;
      config.plateau_factor = options.schedule.plateau_factor;
      config.plateau_patience = options.schedule.plateau_patience;
      break;
  }
  config.step_epochs = options.schedule.step_epochs;
  config.gamma = options.schedule.gamma;
  config.total_epochs = options.epochs;
  config.min_lr = options.schedule.min_lr;
  config.warmup_steps =
      static_cast<int>(std::lround(options.schedule.warmup_epochs * steps_per_epoch));
  return nn::LrSchedule::create(config);
}

std::vector<std::string> frozen_parameters(const TrainOptions& options, const nn::Network& net) {
  std::vector<std::string> names;
  switch (options.freeze) {
    case Freeze::kNone: break;
    case Freeze::kEmbedding: names = net.embedding_names(); break;
    case Freeze::kConv:
      // The feature extractor: embeddings and convolutions; only the dense head trains.
      names = net.embedding_names();
      for (const auto& t : net.params()) {
        if (t.name.rfind("conv", 0) == 0) names.push_back(t.name);
      }
      break;
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
