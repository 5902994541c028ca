#include "nn/attention_pool.h"

#include <algorithm>
#include <cmath>

#include "nn/fast_math.h"
#include "nn/fast_math_avx2.h"

namespace fenlei::nn {
namespace {

// y = tanh(x): eight lanes at a time where the CPU can (fast_math_avx2.h: the scalar values
// lane for lane; GCC leaves the scalar loop unvectorised under -ftrapping-math).
void tanh_row_ref(const float* x, float* y, int n) {
  for (int j = 0; j < n; ++j) y[j] = fast_tanh(x[j]);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) void tanh_row_avx2(const float* x, float* y, int n) {
  int j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(y + j, fast_tanh8(_mm256_loadu_ps(x + j)));
  tanh_row_ref(x + j, y + j, n - j);
}
#endif

void tanh_row(const float* x, float* y, int n) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return tanh_row_avx2(x, y, n);
#endif
  tanh_row_ref(x, y, n);
}

}  // namespace

void attention_pool_forward(const float* o, int len, int dim, const float* w, float* t,
                            float* alpha, float* feat) {
  std::fill(feat, feat + dim, 0.0f);
  if (len == 0) return;
  float mx = -INFINITY;
  for (int p = 0; p < len; ++p) {
    // The tanh loop apart from the dot product, so it vectorises (the dot product's sum, in
    // order, would not without reassociation); the same values either way.
    float* tp = t + size_t(p) * dim;
    tanh_row(o + size_t(p) * dim, tp, dim);
    float s = 0.0f;
    for (int j = 0; j < dim; ++j) s += w[j] * tp[j];
    alpha[p] = s;
    mx = std::max(mx, s);
  }
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
