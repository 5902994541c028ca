// The optimiser of encoder fine-tuning, with PyTorch's semantics (not Keras', as nn::Optimizer):
// AdamW as torch.optim.AdamW (decoupled weight decay p *= 1 - lr * wd, then Adam with epsilon
// after the bias correction), SGD as torch.optim.SGD (momentum buffer starts at the first
// gradient); weight decay on every tensor except biases and LayerNorm weights
// (param_views' `decay`). Every element is updated every step, embedding rows without gradient
// included, as torch's dense update does. Plus the learning-rate schedules of transformers
// (linear warm-up, then linear or cosine decay to zero, or constant) and clipping by global norm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fenlei/status.h"
#include "transformer/encoder_train.h"

namespace fenlei::transformer {

enum class EncoderOptimizerKind { kAdamW, kSgd };
enum class EncoderLrSchedule { kLinear, kCosine, kConstant };

StatusOr<EncoderOptimizerKind> parse_encoder_optimizer(const std::string& s);  // adamw | sgd
StatusOr<EncoderLrSchedule> parse_encoder_schedule(const std::string& s);  // linear|cosine|constant
const char* encoder_optimizer_name(EncoderOptimizerKind k);
const char* encoder_schedule_name(EncoderLrSchedule s);

struct EncoderOptimizerConfig {
  EncoderOptimizerKind kind = EncoderOptimizerKind::kAdamW;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // torch's defaults
  float weight_decay = 0.01f;                            // AdamW only
  float momentum = 0.0f;                                 // SGD only
};

// transformers' get_{linear,cosine,constant}_schedule_with_warmup: the factor of the base
// learning rate for optimiser step `step` (0-based) of `total`.
double lr_factor(EncoderLrSchedule schedule, int64_t step, int64_t warmup, int64_t total);

// Scales `grads` so their global L2 norm is at most max_norm (torch's clip_grad_norm_:
// coefficient max_norm / (norm + 1e-6), applied only when below 1). Returns the norm before.
double clip_grad_norm(EncoderGrads* grads, double max_norm);

class EncoderOptimizer {
 public:
  EncoderOptimizer(const EncoderOptimizerConfig& config, const EncoderWeights& w);

  void step(EncoderWeights* w, const EncoderGrads& grads, float lr);
  int64_t steps() const { return steps_; }

  // State for --resume: moments (or momentum buffers) in param_views order, and the step count.
  std::vector<std::vector<float>>& state_a() { return a_; }
  std::vector<std::vector<float>>& state_b() { return b_; }
  const std::vector<std::vector<float>>& state_a() const { return a_; }
  const std::vector<std::vector<float>>& state_b() const { return b_; }
  const EncoderOptimizerConfig& config() const { return config_; }
  void set_steps(int64_t s) { steps_ = s; }

 private:
  EncoderOptimizerConfig config_;
  std::vector<std::vector<float>> a_;  // AdamW: first moments; SGD: momentum buffers
  std::vector<std::vector<float>> b_;  // AdamW: second moments
  int64_t steps_ = 0;
};

}  // namespace fenlei::transformer
