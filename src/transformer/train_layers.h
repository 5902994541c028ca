// The backward passes of the encoder's layers (layers.h) for fine-tuning, on raw row-major float
// buffers: dense (OpenBLAS sgemm), LayerNorm, the activations, softmax self-attention over one
// unpadded sequence, dropout and softmax cross-entropy. Gradients of parameters are *added* to
// their buffers (a batch accumulates its examples); gradients of inputs are written, or added
// where the name says so. Forward variants here keep what their backward needs.
#pragma once

#include <cstdint>
#include <vector>

#include "hf/config.h"
#include "transformer/layers.h"

namespace fenlei::transformer {

// y = x W^T + b  =>  dW += dy^T x, db += column sums of dy, dx = dy W (or dx += dy W with
// `accumulate_dx`; dx may be null when the input needs no gradient).
void linear_backward(const float* x, int rows, const Linear& l, const float* dy, float* dx,
                     bool accumulate_dx, float* dw, float* db);
void linear_backward_ref(const float* x, int rows, const Linear& l, const float* dy, float* dx,
                         float* dw, float* db);

// LayerNorm that keeps xhat = (x - mean) * inv_std (rows x dim) and inv_std (rows) for backward;
// y may alias x.
void layer_norm_train(const float* x, int rows, int dim, const float* gamma, const float* beta,
                      float eps, float* y, float* xhat, float* inv_std);
// dx = inv_std * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma (dx may alias dy);
// dgamma += sum dy * xhat, dbeta += sum dy.
void layer_norm_backward(const float* dy, const float* xhat, const float* inv_std, int rows,
                         int dim, const float* gamma, float* dx, float* dgamma, float* dbeta);

// dx = dy * act'(pre) (dx may alias dy). The derivative of the exact (erf) GELU is
// Phi(x) + x phi(x); of the tanh approximation its closed form.
void activation_backward(hf::Activation act, const float* pre, const float* dy, float* dx, long n);
double activation_derivative_ref(hf::Activation act, double x);

// Dropout masks: keep[i] = 1 with probability 1 - p, drawn from a counter-based hash of (key, i),
// so a mask depends only on its key, never on the thread that draws it.
void make_dropout_mask(uint64_t key, float p, long n, uint8_t* keep);
// x[i] = keep[i] ? x[i] / (1 - p) : 0 (inverted dropout, as torch).
void apply_dropout(float* x, long n, const uint8_t* keep, float p);

// Self-attention for training: as self_attention (layers.h), keeping every head's softmax
// probabilities (heads x query_rows x len, before dropout) in `probs`. With `keep` (heads x
// query_rows x len, null = no dropout) the probabilities are dropped out with rate p.
void self_attention_train(const float* qkv, int len, int query_rows, int hidden, int heads,
                          const uint8_t* keep, float p, float* probs, float* ctx);
// dqkv (len x 3*hidden) is overwritten; rows of dQ past query_rows are zero.
void self_attention_backward(const float* qkv, int len, int query_rows, int hidden, int heads,
                             const float* probs, const uint8_t* keep, float p, const float* dctx,
                             float* dqkv);

// -log softmax(logits)[label]; dlogits = (softmax - onehot(label)) * scale.
float softmax_cross_entropy(const float* logits, int n, int label, float scale, float* dlogits);

}  // namespace fenlei::transformer
