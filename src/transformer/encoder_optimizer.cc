#include "transformer/encoder_optimizer.h"

#include <cmath>

#include "transformer/train_kernels.h"

namespace fenlei::transformer {

StatusOr<EncoderOptimizerKind> parse_encoder_optimizer(const std::string& s) {
  if (s == "adamw") return EncoderOptimizerKind::kAdamW;
  if (s == "sgd") return EncoderOptimizerKind::kSgd;
  return invalid_argument_error("optimizer '" + s + "' for a transformer: use adamw or sgd");
}

StatusOr<EncoderLrSchedule> parse_encoder_schedule(const std::string& s) {
  if (s == "linear") return EncoderLrSchedule::kLinear;
  if (s == "cosine") return EncoderLrSchedule::kCosine;
  if (s == "constant") return EncoderLrSchedule::kConstant;
  return invalid_argument_error("learning-rate schedule '" + s +
                                "' for a transformer: use linear, cosine or constant");
}

const char* encoder_optimizer_name(EncoderOptimizerKind k) {
  return k == EncoderOptimizerKind::kAdamW ? "adamw" : "sgd";
}

const char* encoder_schedule_name(EncoderLrSchedule s) {
  switch (s) {
    case EncoderLrSchedule::kLinear:
      return "linear";
    case EncoderLrSchedule::kCosine:
      return "cosine";
    case EncoderLrSchedule::kConstant:
      return "constant";
  }
  return "?";
}

double lr_factor(EncoderLrSchedule schedule, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  if (schedule == EncoderLrSchedule::kConstant) return 1.0;
  const double span = static_cast<double>(std::max<int64_t>(1, total - warmup));
  if (schedule == EncoderLrSchedule::kLinear)
    return std::max(0.0, static_cast<double>(total - step) / span);
  const double progress = static_cast<double>(step - warmup) / span;
  return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
}

double clip_grad_norm(EncoderGrads* grads, double max_norm) {
  const double norm = std::sqrt(grads->squared_norm());
  if (max_norm > 0) {
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) grads->scale(static_cast<float>(coef));
  }
  return norm;
}

EncoderOptimizer::EncoderOptimizer(const EncoderOptimizerConfig& config, const EncoderWeights& w)
    : config_(config) {
  std::vector<ParamView> views = param_views(const_cast<EncoderWeights*>(&w));
  for (const ParamView& v : views) {
    if (config_.kind == EncoderOptimizerKind::kAdamW) {
      a_.emplace_back(v.size, 0.0f);
      b_.emplace_back(v.size, 0.0f);
    } else if (config_.momentum > 0) {
      a_.emplace_back(v.size, 0.0f);
    }
  }
}

void EncoderOptimizer::step(EncoderWeights* w, const EncoderGrads& grads, float lr) {
  ++steps_;
  std::vector<ParamView> params = param_views(w);
  std::vector<ParamView> gviews = param_views(const_cast<EncoderWeights*>(&grads.d));
  const SparseRows& word = grads.word;
  const bool adamw = config_.kind == EncoderOptimizerKind::kAdamW;
  const double bc1 = 1.0 - std::pow(static_cast<double>(config_.beta1), static_cast<double>(steps_));
  const double bc2 = 1.0 - std::pow(static_cast<double>(config_.beta2), static_cast<double>(steps_));
  const float step_size = static_cast<float>(lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.epsilon;
  for (size_t t = 0; t < params.size(); ++t) {
    float* p = params[t].data;
    const long n = params[t].size;
    const bool is_word = t == 0;  // param_views puts the word table first; its gradient is sparse
    // g(i): the gradient of element i (zero for untouched word rows).
    auto grad_row = [&](long row) -> const float* { return word.find(static_cast<int32_t>(row)); };
    const int dim = is_word ? w->config.embedding_size : 0;
    if (adamw) {
      AdamWStep s;
      s.decay = params[t].decay ? 1.0f - lr * config_.weight_decay : 1.0f;
      s.b1 = b1;
      s.b2 = b2;
      s.eps = eps;
      s.step_size = step_size;
      s.bc2_sqrt = bc2_sqrt;
      float* m = a_[t].data();
      float* v = b_[t].data();
      if (is_word) {
        // Row by row: an untouched row's gradient is zero (null).
        for (long r = 0; r < n / dim; ++r)
          adamw_update(s, p + r * dim, m + r * dim, v + r * dim, grad_row(r), dim);
      } else {
        adamw_update(s, p, m, v, gviews[t].data, n);
      }
      continue;
    }
    // SGD (torch): buf = g on the first step, then buf = momentum * buf + g; p -= lr * buf.
    const bool momentum = config_.momentum > 0;
    float* buf = momentum ? a_[t].data() : nullptr;
    auto sgd = [&](long i, float g) {
      if (momentum) {
        buf[i] = steps_ == 1 ? g : buf[i] * config_.momentum + g;
        g = buf[i];
      }
      p[i] -= lr * g;
    };
    if (is_word) {
      for (long r = 0; r < n / dim; ++r) {
        const float* g = grad_row(r);
        if (!g && !momentum) continue;
        for (int j = 0; j < dim; ++j) sgd(r * dim + j, g ? g[j] : 0.0f);
      }
    } else {
      const float* g = gviews[t].data;
      for (long i = 0; i < n; ++i) sgd(i, g[i]);
    }
  }
}

}  // namespace fenlei::transformer
