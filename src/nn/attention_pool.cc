#include "nn/attention_pool.h"

#include <algorithm>
#include <cmath>

#include "nn/fast_math.h"
#include "nn/tanh_row.h"

namespace fenlei::nn {

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
