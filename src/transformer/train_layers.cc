#include "transformer/train_layers.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "transformer/train_kernels.h"

namespace fenlei::transformer {

void linear_backward(const float* x, int rows, const Linear& l, const float* dy, float* dx,
                     bool accumulate_dx, float* dw, float* db) {
  // dW (out x in) += dy^T (out x rows) * x (rows x in)
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l.out, l.in, rows, 1.0f, dy, l.out, x, l.in,
              1.0f, dw, l.in);
  for (int r = 0; r < rows; ++r) {
    const float* g = dy + static_cast<long>(r) * l.out;
    for (int o = 0; o < l.out; ++o) db[o] += g[o];
  }
  if (!dx) return;
  // dx (rows x in) = dy (rows x out) * W (out x in)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, l.in, l.out, 1.0f, dy, l.out,
              l.w.data(), l.in, accumulate_dx ? 1.0f : 0.0f, dx, l.in);
}

void linear_backward_ref(const float* x, int rows, const Linear& l, const float* dy, float* dx,
                         float* dw, float* db) {
  for (int o = 0; o < l.out; ++o) {
    double sb = 0;
    for (int r = 0; r < rows; ++r) sb += dy[static_cast<long>(r) * l.out + o];
    db[o] += static_cast<float>(sb);
    for (int i = 0; i < l.in; ++i) {
      double s = 0;
      for (int r = 0; r < rows; ++r)
        s += double(dy[static_cast<long>(r) * l.out + o]) * x[static_cast<long>(r) * l.in + i];
      dw[static_cast<long>(o) * l.in + i] += static_cast<float>(s);
    }
  }
  if (!dx) return;
  for (int r = 0; r < rows; ++r) {
    for (int i = 0; i < l.in; ++i) {
      double s = 0;
      for (int o = 0; o < l.out; ++o)
        s += double(dy[static_cast<long>(r) * l.out + o]) * l.w[static_cast<long>(o) * l.in + i];
      dx[static_cast<long>(r) * l.in + i] = static_cast<float>(s);
    }
  }
}

void layer_norm_train(const float* x, int rows, int dim, const float* gamma, const float* beta,
                      float eps, float* y, float* xhat, float* inv_std) {
  if (layer_norm_train_fast(x, rows, dim, gamma, beta, eps, y, xhat, inv_std)) return;
  for (int r = 0; r < rows; ++r) {
    const float* v = x + static_cast<long>(r) * dim;
    float* xh = xhat + static_cast<long>(r) * dim;
    float* out = y + static_cast<long>(r) * dim;
    float mean = 0;
    for (int i = 0; i < dim; ++i) mean += v[i];
    mean /= dim;
    float var = 0;
    for (int i = 0; i < dim; ++i) var += (v[i] - mean) * (v[i] - mean);
    var /= dim;
    const float inv = 1.0f / std::sqrt(var + eps);
    inv_std[r] = inv;
    for (int i = 0; i < dim; ++i) xh[i] = (v[i] - mean) * inv;
    for (int i = 0; i < dim; ++i) out[i] = xh[i] * gamma[i] + beta[i];
  }
}

void layer_norm_backward(const float* dy, const float* xhat, const float* inv_std, int rows,
                         int dim, const float* gamma, float* dx, float* dgamma, float* dbeta) {
  if (layer_norm_backward_fast(dy, xhat, inv_std, rows, dim, gamma, dx, dgamma, dbeta)) return;
  for (int r = 0; r < rows; ++r) {
    const float* g = dy + static_cast<long>(r) * dim;
    const float* xh = xhat + static_cast<long>(r) * dim;
    float* out = dx + static_cast<long>(r) * dim;
    float sum_g = 0, sum_gx = 0;
    for (int i = 0; i < dim; ++i) {
      dgamma[i] += g[i] * xh[i];
      dbeta[i] += g[i];
      const float gi = g[i] * gamma[i];
      sum_g += gi;
      sum_gx += gi * xh[i];
    }
    const float mean_g = sum_g / dim, mean_gx = sum_gx / dim, inv = inv_std[r];
    for (int i = 0; i < dim; ++i) out[i] = inv * (g[i] * gamma[i] - mean_g - xh[i] * mean_gx);
  }
}

double activation_derivative_ref(hf::Activation act, double x) {
  switch (act) {
    case hf::Activation::kGeluErf:
      return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))) +
             x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
    case hf::Activation::kGeluTanh: {
      const double k = std::sqrt(2.0 / M_PI);
      const double t = std::tanh(k * (x + 0.044715 * x * x * x));
      return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * x * x);
    }
    case hf::Activation::kRelu:
      return x > 0 ? 1.0 : 0.0;
  }
  return 1.0;
}

void activation_backward(hf::Activation act, const float* pre, const float* dy, float* dx,
                         long n) {
  switch (act) {
    case hf::Activation::kGeluErf:
      gelu_erf_backward(pre, dy, dx, n);
      return;
    case hf::Activation::kGeluTanh: {
      constexpr float k = 0.7978845608028654f, c = 0.044715f;
      for (long i = 0; i < n; ++i) {
        const float x = pre[i];
        const float t = std::tanh(k * (x + c * x * x * x));
        const float d = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * k * (1.0f + 3.0f * c * x * x);
        dx[i] = dy[i] * d;
      }
      return;
    }
    case hf::Activation::kRelu:
      for (long i = 0; i < n; ++i) dx[i] = pre[i] > 0 ? dy[i] : 0.0f;
      return;
  }
}

void make_dropout_mask(uint64_t key, float p, long n, uint8_t* keep) {
  dropout_mask_apply(key, p, n, keep, nullptr);
}

void apply_dropout(float* x, long n, const uint8_t* keep, float p) { dropout_apply(x, n, keep, p); }

void self_attention_train(const float* qkv, int len, int query_rows, int hidden, int heads,
                          const uint8_t* keep, float p, float* probs, float* ctx) {
  const int d = hidden / heads;
  const long stride = 3L * hidden;
  const long plane = static_cast<long>(query_rows) * len;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::vector<float> dropped(keep ? plane : 0);
  for (int h = 0; h < heads; ++h) {
    const float* q = qkv + h * d;
    const float* k = qkv + hidden + h * d;
    const float* v = qkv + 2 * hidden + h * d;
    float* s_all = probs + h * plane;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, query_rows, len, d, scale, q, stride, k,
                stride, 0.0f, s_all, len);
    for (int r = 0; r < query_rows; ++r) softmax_row(s_all + static_cast<long>(r) * len, len);
    const float* a = s_all;
    if (keep) {
      std::copy(s_all, s_all + plane, dropped.begin());
      apply_dropout(dropped.data(), plane, keep + h * plane, p);
      a = dropped.data();
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, query_rows, d, len, 1.0f, a, len, v,
                stride, 0.0f, ctx + h * d, hidden);
  }
}

void self_attention_backward(const float* qkv, int len, int query_rows, int hidden, int heads,
                             const float* probs, const uint8_t* keep, float p, const float* dctx,
                             float* dqkv) {
  const int d = hidden / heads;
  const long stride = 3L * hidden;
  const long plane = static_cast<long>(query_rows) * len;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::vector<float> dropped(keep ? plane : 0), dp(plane);
  for (int r = query_rows; r < len; ++r)
    std::fill(dqkv + r * stride, dqkv + r * stride + hidden, 0.0f);
  for (int h = 0; h < heads; ++h) {
    const float* q = qkv + h * d;
    const float* k = qkv + hidden + h * d;
    const float* v = qkv + 2 * hidden + h * d;
    const float* pr = probs + h * plane;
    const float* a = pr;
    if (keep) {
      std::copy(pr, pr + plane, dropped.begin());
      apply_dropout(dropped.data(), plane, keep + h * plane, p);
      a = dropped.data();
    }
    // dV (len x d) = A^T (len x rows) dctx_h (rows x d)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, len, d, query_rows, 1.0f, a, len,
                dctx + h * d, hidden, 0.0f, dqkv + 2 * hidden + h * d, stride);
    // dA (rows x len) = dctx_h (rows x d) V^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, query_rows, len, d, 1.0f, dctx + h * d,
                hidden, v, stride, 0.0f, dp.data(), len);
    if (keep) apply_dropout(dp.data(), plane, keep + h * plane, p);
    // Softmax: dS = P * (dP - sum_j dP_j P_j), per row.
    for (int r = 0; r < query_rows; ++r)
      softmax_backward_row(pr + static_cast<long>(r) * len, dp.data() + static_cast<long>(r) * len, len);
    // dQ (rows x d) = scale dS K; dK (len x d) = scale dS^T Q
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, query_rows, d, len, scale, dp.data(),
                len, k, stride, 0.0f, dqkv + h * d, stride);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, len, d, query_rows, scale, dp.data(), len,
                q, stride, 0.0f, dqkv + hidden + h * d, stride);
  }
}

float softmax_cross_entropy(const float* logits, int n, int label, float scale, float* dlogits) {
  const float mx = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i] - mx));
  const double log_sum = std::log(sum);
  for (int i = 0; i < n; ++i) {
    const double prob = std::exp(static_cast<double>(logits[i] - mx) - log_sum);
    dlogits[i] = static_cast<float>((prob - (i == label ? 1.0 : 0.0)) * scale);
  }
  return static_cast<float>(log_sum - (logits[label] - mx));
}

}  // namespace fenlei::transformer
