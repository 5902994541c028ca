// Activations. GELU is the exact erf form (Keras' default approximate=False).
#include "nn/activation.h"

#include <cmath>

namespace fenlei::nn {

void activation_forward(Activation a, const float* x, int64_t n, float* y) {
  switch (a) {
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case Activation::kTanh:
      for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
      return;
    case Activation::kGelu:
      for (int64_t i = 0; i < n; ++i)
        y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
      return;
  }
}

void activation_backward(Activation a, const float* x, const float* dy, int64_t n, float* dx) {
  switch (a) {
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
      return;
    case Activation::kTanh:
      for (int64_t i = 0; i < n; ++i) {
        const float t = std::tanh(x[i]);
        dx[i] = dy[i] * (1.0f - t * t);
      }
      return;
    case Activation::kGelu:
      for (int64_t i = 0; i < n; ++i) {
        const float cdf = 0.5f * (1.0f + std::erf(x[i] * 0.70710678118654752f));
        const float pdf = 0.39894228040143268f * std::exp(-0.5f * x[i] * x[i]);
        dx[i] = dy[i] * (cdf + x[i] * pdf);
      }
      return;
  }
}

}  // namespace fenlei::nn
