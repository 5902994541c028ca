// Optimizers: Adam (Keras semantics), AdamW (decoupled weight decay) and SGD with momentum,
// with named, serialisable state for --resume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fenlei/status.h"
#include "nn/params.h"

namespace fenlei::nn {

enum class OptimizerKind { kAdam, kAdamW, kSgd };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kAdam;
  // Keras defaults. Keras places epsilon outside the bias correction ("epsilon hat"):
  //   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t);  p -= lr_t * m / (sqrt(v) + epsilon)
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-7f;
  // AdamW: p -= lr * weight_decay * p before the Adam update (Keras AdamW), on every tensor
  // except biases.
  float weight_decay = 0.0f;
  // SGD (Keras): velocity = momentum * velocity - lr * g; p += velocity (nesterov:
  // p += momentum * velocity - lr * g).
  float momentum = 0.0f;
  bool nesterov = false;
  // Adam/AdamW only: update just the rows of embedding tables that received gradient this step
  // (TensorFlow's LazyAdam; untouched rows keep their moments frozen instead of decaying).
  // Not Keras-equivalent, but the step then costs O(touched rows) instead of O(vocab * dim),
  // which dominates a textcnn step. Off by default.
  bool lazy_embeddings = false;

  // Errors: kInvalidArgument naming the field.
  Status validate() const;
};

StatusOr<OptimizerKind> parse_optimizer_kind(const std::string& s);  // adam | adamw | sgd
const char* optimizer_kind_name(OptimizerKind k);

// Updates every element of every tensor each step, including embedding rows whose gradient is
// zero (their moments still decay), exactly like Keras' dense Adam. The gradient buffers of
// sparse tensors are valid dense buffers, so this reads them directly.
// Not thread-safe; call from one thread between batches.
class Optimizer {
 public:
  Optimizer() = default;
  // Allocates state mirroring `params`. Errors: kInvalidArgument (config).
  static StatusOr<Optimizer> create(const OptimizerConfig& config, const Params& params);

  void step(Params& params, const Grads& grads, float lr);

  const OptimizerConfig& config() const { return config_; }
  int64_t iterations() const { return iterations_; }

  // State as named tensors: "adam/m/<param>", "adam/v/<param>" (Adam, AdamW) or
  // "sgd/velocity/<param>" (SGD with momentum), plus "optimizer/iterations" of shape [2] holding
  // the step count as two exact 24-bit halves {low, high}.
  Params export_state() const;
  // Restores a state written by export_state() for the same params and kind.
  // Errors: kInvalidArgument (missing tensor, wrong shape, bad step count).
  Status import_state(const Params& state);

 private:
  OptimizerConfig config_;
  Params m_;  // first moments (Adam) or velocities (SGD); names are the params' names
  Params v_;  // second moments (Adam)
  int64_t iterations_ = 0;
  std::vector<float> zero_row_;  // the gradient of an untouched row of a sparse tensor
};

}  // namespace fenlei::nn
