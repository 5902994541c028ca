// The LSTM and GRU cells' gate arithmetic for eight units at a time, shared by the one-text gate
// loops (nn/lstm.cc, nn/gru.cc) and the fused batched step (nn/recurrent_batch_inference.h), so
// both compute each unit with the same operations in the same order: lane for lane the scalar
// gate loops' values (fast_math_avx2.h), and the two inference paths agree bit for bit.
#pragma once

#if defined(__x86_64__)
#include "nn/fast_math_avx2.h"

namespace fenlei::nn {

// From the pre-activations (input side + hidden side) of gates i, f, g, o and c_{t-1}:
// the activations, c_t = f * c_{t-1} + i * g and h_t = o * tanh(c_t).
struct LstmCell8 {
  __m256 i, f, g, o, c, h;
};
__attribute__((target("avx2"))) inline LstmCell8 lstm_cell8(__m256 ai, __m256 af, __m256 ag,
                                                            __m256 ao, __m256 c_prev) {
  LstmCell8 r;
  r.i = fast_sigmoid8(ai);
  r.f = fast_sigmoid8(af);
  r.g = fast_tanh8(ag);
  r.o = fast_sigmoid8(ao);
  r.c = _mm256_add_ps(_mm256_mul_ps(r.f, c_prev), _mm256_mul_ps(r.i, r.g));
  r.h = _mm256_mul_ps(r.o, fast_tanh8(r.c));
  return r;
}

// From the input-side pre-activations x_r, x_z, x_n, the hidden-side ones (h W_h^T + b_hh)
// hr, hz, hn and h_{t-1}: r, z, n and h_t = (1 - z) * n + z * h_{t-1}.
struct GruCell8 {
  __m256 r, z, n, h;
};
__attribute__((target("avx2"))) inline GruCell8 gru_cell8(__m256 xr, __m256 xz, __m256 xn,
                                                          __m256 hr, __m256 hz, __m256 hn,
                                                          __m256 h_prev) {
  GruCell8 c;
  c.r = fast_sigmoid8(_mm256_add_ps(xr, hr));
  c.z = fast_sigmoid8(_mm256_add_ps(xz, hz));
  c.n = fast_tanh8(_mm256_add_ps(xn, _mm256_mul_ps(c.r, hn)));
  c.h = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), c.z), c.n),
                      _mm256_mul_ps(c.z, h_prev));
  return c;
}

}  // namespace fenlei::nn
#endif
