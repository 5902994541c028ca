// Vectorised element-wise kernels of the training passes (train_layers.h calls them): the
// exact-GELU derivative, a softmax row, the AdamW update and dropout masks. Each has a portable
// loop and an AVX-512 path chosen at run time; a given machine always takes the same path, so
// one-thread runs stay byte-identical.
#pragma once

#include <cstdint>

namespace fenlei::transformer {

// act[i] = GELU(pre[i]) (exact erf form) out of place, the same arithmetic as the inference
// activation (layers.cc), so the training forward keeps pre-activations without a copy.
void gelu_erf_forward(const float* pre, float* act, long n);

// dx[i] = dy[i] * (Phi(x) + x phi(x)), x = pre[i] (dx may alias dy): the derivative of the
// exact (erf) GELU, with the same rational erf as the forward (layers.cc) and a polynomial exp;
// within 1e-6 of the double-precision derivative.
void gelu_erf_backward(const float* pre, const float* dy, float* dx, long n);

// s[j] = exp(s[j] - max) / sum, in place over one row of n.
void softmax_row(float* s, int n);

// Softmax backward over one row: g[j] = p[j] * (g[j] - sum_k g[k] p[k]), in place.
void softmax_backward_row(const float* p, float* g, int n);

// sum x[i]^2 in double (8 partial sums on AVX-512: the gradient norm for clipping).
double sum_squares(const float* x, long n);

// One AdamW step over n elements (torch.optim.AdamW's order: decoupled decay, moments, update
// with epsilon after the bias correction). g null: a zero gradient (untouched embedding rows).
struct AdamWStep {
  float decay = 1.0f;      // 1 - lr * weight_decay, or 1
  float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  float step_size = 0.0f;  // lr / (1 - b1^t)
  float bc2_sqrt = 1.0f;   // sqrt(1 - b2^t)
};
void adamw_update(const AdamWStep& s, float* p, float* m, float* v, const float* g, long n);

// keep[i] = 1 with probability 1 - p from a counter-based hash of (key, i), and x[i] scaled by
// 1 / (1 - p) where kept, zeroed where not (x may be null: the mask alone).
void dropout_mask_apply(uint64_t key, float p, long n, uint8_t* keep, float* x);
// x[i] = keep[i] ? x[i] / (1 - p) : 0 with an existing mask.
void dropout_apply(float* x, long n, const uint8_t* keep, float p);

// AVX-512 bodies of layer_norm_train / layer_norm_backward (train_layers.h), with 16-lane
// partial sums; false (nothing done) where the CPU lacks AVX-512.
bool layer_norm_train_fast(const float* x, int rows, int dim, const float* gamma,
                           const float* beta, float eps, float* y, float* xhat, float* inv_std);
bool layer_norm_backward_fast(const float* dy, const float* xhat, const float* inv_std, int rows,
                              int dim, const float* gamma, float* dx, float* dgamma, float* dbeta);

}  // namespace fenlei::transformer
