#include "nn/attention_pool.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "nn/fast_math.h"
#include "nn/tanh_row.h"

namespace fenlei::nn {

void attention_scores_ref(const float* t, int len, int dim, const float* w, float* s) {
  for (int p = 0; p < len; ++p) {
    const float* tp = t + size_t(p) * dim;
    float v = 0.0f;
    for (int j = 0; j < dim; ++j) v += w[j] * tp[j];
    s[p] = v;
  }
}

#if defined(__x86_64__)
// Eight tokens at a time, one per lane: lane l sums w[j] * t[p + l][j] for j = 0, 1, ... in the
// scalar loop's order (a product rounded, then added; AVX2 without FMA, so nothing is fused), so
// each score is the reference's bit for bit. The scalar loop's sum is one dependency chain of
// dim additions (~4 cycles each); the lanes run eight such chains side by side.
__attribute__((target("avx2"))) void attention_scores_avx2(const float* t, int len, int dim,
                                                           const float* w, float* s) {
  const __m256i rows = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                          _mm256_set1_epi32(dim));
  int p = 0;
  for (; p + 8 <= len; p += 8) {
    const float* tp = t + size_t(p) * dim;
    __m256 acc = _mm256_setzero_ps();
    for (int j = 0; j < dim; ++j)
      acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(w[j]),
                                             _mm256_i32gather_ps(tp + j, rows, 4)));
    _mm256_storeu_ps(s + p, acc);
  }
  attention_scores_ref(t + size_t(p) * dim, len - p, dim, w, s + p);
}
#else
void attention_scores_avx2(const float* t, int len, int dim, const float* w, float* s) {
  attention_scores_ref(t, len, dim, w, s);
}
#endif

void attention_pool_forward(const float* o, int len, int dim, const float* w, float* t,
                            float* alpha, float* feat) {
  std::fill(feat, feat + dim, 0.0f);
  if (len == 0) return;
  // The tanh of every row first (eight lanes at a time), then the scores w . t_p.
  tanh_row(o, t, len * dim);
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2)
    attention_scores_avx2(t, len, dim, w, alpha);
  else
#endif
    attention_scores_ref(t, len, dim, w, alpha);
  float mx = -INFINITY;
  for (int p = 0; p < len; ++p) mx = std::max(mx, alpha[p]);
  double z = 0.0;
  for (int p = 0; p < len; ++p) {
    alpha[p] = std::exp(alpha[p] - mx);
    z += alpha[p];
  }
  const float inv = static_cast<float>(1.0 / z);
  for (int p = 0; p < len; ++p) {
    alpha[p] *= inv;
    for (int j = 0; j < dim; ++j) feat[j] += alpha[p] * o[size_t(p) * dim + j];
  }
}

void attention_pool_backward(const float* o, int len, int dim, const float* w, const float* t,
                             const float* alpha, const float* dfeat, float* d_o, float* dw) {
  if (len == 0) return;
  // d alpha_p = dfeat . o_p;  d s_p = alpha_p (d alpha_p - sum_q alpha_q d alpha_q).
  auto dalpha = [&](int p) {
    float da = 0.0f;
    for (int j = 0; j < dim; ++j) da += dfeat[j] * o[size_t(p) * dim + j];
    return da;
  };
  float mean = 0.0f;
  for (int p = 0; p < len; ++p) mean += alpha[p] * dalpha(p);
  for (int p = 0; p < len; ++p) {
    const float ds = alpha[p] * (dalpha(p) - mean);
    const float* tp = t + size_t(p) * dim;
    float* dp = d_o + size_t(p) * dim;
    for (int j = 0; j < dim; ++j) {
      dw[j] += ds * tp[j];
      dp[j] += alpha[p] * dfeat[j] + ds * w[j] * (1.0f - tp[j] * tp[j]);
    }
  }
}

}  // namespace fenlei::nn
