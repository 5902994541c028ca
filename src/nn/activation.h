// Element-wise activations of the hidden dense layers (relu, tanh, gelu) and their gradients.
// Scalar loops: they are memory-bound and the compiler vectorises relu; these are both the
// reference and the production kernels.
#pragma once

#include <cstdint>

#include "nn/config.h"

namespace fenlei::nn {

// y = act(x), n elements; y may alias x.
void activation_forward(Activation a, const float* x, int64_t n, float* y);
// dx = dy * act'(x) where x is the pre-activation input; dx may alias dy.
void activation_backward(Activation a, const float* x, const float* dy, int64_t n, float* dx);

}  // namespace fenlei::nn
