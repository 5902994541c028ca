// Optimizers: Adam (Keras semantics), AdamW (decoupled weight decay) and SGD with momentum,
// with named, serialisable state for --resume.
#pragma once

#include <cstdint>
#include <functional>
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
  // The same step in `parts` pieces that may run concurrently: run(parts, fn) must call fn(0) ..
  // fn(parts - 1) (a thread pool's run). Each part updates a contiguous range of every tensor's
  // elements with the same operations, so the result equals step() bit for bit whatever parts is
  // (the row-lazy embedding moments are created on first use, so one part does those).
  void step(Params& params, const Grads& grads, float lr, int parts,
            const std::function<void(int parts, const std::function<void(int)>&)>& run);

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
  // Adam moments of one embedding table under lazy_embeddings: a row's m and v exist only once
  // the row has had a gradient, so rows no batch ever touches (a quarter of fasttext's 200k
  // bigram buckets on 50k reviews) cost no memory. Untouched rows read as zeros, which is what a
  // dense buffer would hold for them, so results do not change.
  struct RowMoments {
    int64_t cols = 0;
    std::vector<int32_t> slot;                // per row: its moments' index, -1 if none yet
    std::vector<std::vector<float>> blocks;   // kRowsPerBlock rows of [m (cols) | v (cols)]
    int32_t used = 0;
    static constexpr int32_t kRowsPerBlock = 1024;
    // The [m | v] of row r, created zeroed on first use.
    float* row(int32_t r);
    // The [m | v] of row r, or nullptr if it was never created.
    const float* find(int32_t r) const;
  };
  // Makes tensor i's moments dense (m_[i].data, v_[i].data) or row-lazy (lazy_[i]), converting
  // what exists; the first step decides, when it knows which gradients are sparse.
  void ensure_dense(int i);
  // A step's shared prologue (step count, moment storage) and part `part` of its updates.
  void begin_step(const Params& params, const Grads& grads);
  void update(Params& params, const Grads& grads, float lr, int part, int parts);
  void ensure_row_lazy(int i);

  int64_t iterations_ = 0;
  std::vector<float> zero_row_;  // the gradient of an untouched row of a sparse tensor
  // Per tensor: row-lazy moments (cols > 0) or none (cols == 0: dense in m_/v_, or not yet
  // allocated when lazy_embeddings defers the choice to the first step).
  std::vector<RowMoments> lazy_;
};

}  // namespace fenlei::nn
