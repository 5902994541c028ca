// The encoder's layers on raw row-major float buffers: dense (OpenBLAS sgemm), LayerNorm, GELU,
// and multi-head self-attention over one unpadded sequence. Each has a plain scalar `_ref` twin
// that the unit tests hold the fast path to.
#pragma once

#include <vector>

#include "hf/config.h"

namespace fenlei::transformer {

// y = x W^T + b, with W stored [out][in] as torch stores nn.Linear.
struct Linear {
  int in = 0, out = 0;
  std::vector<float> w;  // out * in
  std::vector<float> b;  // out
};

void linear(const float* x, int rows, const Linear& l, float* y);
void linear_ref(const float* x, int rows, const Linear& l, float* y);

// In place over rows of `dim`: (x - mean) / sqrt(var + eps) * gamma + beta (biased variance).
void layer_norm(float* x, int rows, int dim, const float* gamma, const float* beta, float eps);
void layer_norm_ref(float* x, int rows, int dim, const float* gamma, const float* beta, float eps);

void activate(hf::Activation act, float* x, long n);
float activate_ref(hf::Activation act, float x);

// qkv: rows of [q | k | v] (each `hidden` wide) for `len` positions; ctx: len x hidden.
// `query_rows` <= len: only the first query_rows rows of ctx are computed (the last layer of a
// classifier needs only [CLS]).
void self_attention(const float* qkv, int len, int query_rows, int hidden, int heads, float* ctx);
void self_attention_ref(const float* qkv, int len, int hidden, int heads, float* ctx);

}  // namespace fenlei::transformer
