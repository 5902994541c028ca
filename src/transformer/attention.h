// Inference self-attention on the packed float kernels (packed_dense.h): per head, the keys are
// packed into 32-wide panels and scores = q k^T runs as the dense layers' outer product; the
// softmax is vectorised (softmax_rows, with a polynomial exp); then the values, packed the same
// way (a copy of their rows), make ctx = p v the same product again. Neither product needs a
// lane sum per output nor a transpose of v through memory one float at a time.
#pragma once

#include <vector>

#include "transformer/packed_dense.h"

namespace fenlei::transformer {

// e^x for softmax: Cephes' range reduction (x = n ln 2 + r) and degree-5 polynomial, x
// clamped to [-87, 88] (so e^-87 ~ 1.6e-38 stands for anything smaller). Within 2 ulp of
// e^x over that range. exp_poly16 (AVX-512) computes the same operations, so it equals this
// bit for bit.
float exp_poly(float x);

// Each of `rows` rows of `len` scores (row stride ld) becomes softmax(scale * row):
// e_j = exp_poly((s_j - max) * scale), sum in 16 lanes (lane j % 16, in order of j) reduced
// by halving (lane i += lane i + 8, + 4, + 2, + 1), p_j = e_j * (1 / sum). softmax_rows_ref
// is that order in scalar code; the AVX-512 path equals it bit for bit.
void softmax_rows(float* s, int rows, int len, int ld, float scale);
void softmax_rows_ref(float* s, int rows, int len, int ld, float scale);

// One thread's buffers for attend_heads (reused from call to call).
struct AttentionScratch {
  PackedF32 keys, values;
  std::vector<float> scores;  // query_rows x len
};

// Heads [h_begin, h_end) of self-attention over qkv (len rows of [q | k | v], each `hidden`
// wide): ctx[i][h * d ..] for the first query_rows rows, on the packed kernel `fn`.
void attend_heads(PackedF32Fn fn, const float* qkv, int len, int query_rows, int hidden,
                  int heads, int h_begin, int h_end, float* ctx, AttentionScratch* s);

}  // namespace fenlei::transformer
