#include "transformer/layers.h"

#include <cblas.h>
#ifdef __SSE2__
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>

#include "base/avx512_warnings.h"
#include "transformer/erf_rational.h"

// GCC 12 reports the _mm512_undefined_*() merge source inside AVX-512 intrinsics
// (_mm512_reduce_add_ps, _mm512_max_ps) as uninitialised: a false positive.
FENLEI_AVX512_INTRINSICS_BEGIN

namespace fenlei::transformer {

void linear(const float* x, int rows, const Linear& l, float* y) {
  for (int r = 0; r < rows; ++r) std::copy(l.b.begin(), l.b.end(), y + static_cast<long>(r) * l.out);
  if (rows == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, l.out, l.in, 1.0f, l.w.data(), l.in, x, 1, 1.0f, y, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, l.out, l.in, 1.0f, x, l.in,
              l.w.data(), l.in, 1.0f, y, l.out);
}

void linear_ref(const float* x, int rows, const Linear& l, float* y) {
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < l.out; ++o) {
      double s = l.b[o];
      for (int i = 0; i < l.in; ++i)
        s += static_cast<double>(x[static_cast<long>(r) * l.in + i]) * l.w[static_cast<long>(o) * l.in + i];
      y[static_cast<long>(r) * l.out + o] = static_cast<float>(s);
    }
  }
}

namespace {

#if defined(__x86_64__)
// LayerNorm with 16-lane partial sums (GCC will not vectorise a float sum without
// -ffast-math); the same formula as the portable loop, summed in another order.
// R rows of a width that is a multiple of 16, each computed exactly as the loop below computes
// it, their dependency chains (sum, reduction, variance, reduction, 1/sqrt: ~180 cycles a
// 128-wide row) interleaved.
template <int R>
__attribute__((target("avx512f"))) inline void layer_norm_block_avx512(float* x, int dim,
                                                                      const float* gamma,
                                                                      const float* beta, float eps) {
  __m512 acc[R], vmean[R], vinv[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (int i = 0; i < dim; i += 16)
    for (int r = 0; r < R; ++r)
      acc[r] = _mm512_add_ps(acc[r], _mm512_loadu_ps(x + static_cast<long>(r) * dim + i));
  for (int r = 0; r < R; ++r) {
    const float mean = _mm512_reduce_add_ps(acc[r]) / dim;
    vmean[r] = _mm512_set1_ps(mean);
    acc[r] = _mm512_setzero_ps();
  }
  for (int i = 0; i < dim; i += 16)
    for (int r = 0; r < R; ++r) {
      const __m512 c = _mm512_sub_ps(_mm512_loadu_ps(x + static_cast<long>(r) * dim + i), vmean[r]);
      acc[r] = _mm512_fmadd_ps(c, c, acc[r]);
    }
  for (int r = 0; r < R; ++r) {
    float var = _mm512_reduce_add_ps(acc[r]);
    var /= dim;
    vinv[r] = _mm512_set1_ps(1.0f / std::sqrt(var + eps));
  }
  for (int i = 0; i < dim; i += 16) {
    const __m512 g = _mm512_loadu_ps(gamma + i), b = _mm512_loadu_ps(beta + i);
    for (int r = 0; r < R; ++r) {
      float* v = x + static_cast<long>(r) * dim + i;
      const __m512 c = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(v), vmean[r]), vinv[r]);
      _mm512_storeu_ps(v, _mm512_fmadd_ps(c, g, b));
    }
  }
}

__attribute__((target("avx512f"))) void layer_norm_avx512(float* x, int rows, int dim,
                                                          const float* gamma, const float* beta,
                                                          float eps) {
  const int d16 = dim / 16 * 16;
  int r0 = 0;
  if (d16 == dim)
    for (; r0 + 4 <= rows; r0 += 4)
      layer_norm_block_avx512<4>(x + static_cast<long>(r0) * dim, dim, gamma, beta, eps);
  for (int r = r0; r < rows; ++r) {
    float* v = x + static_cast<long>(r) * dim;
    __m512 acc = _mm512_setzero_ps();
    for (int i = 0; i < d16; i += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(v + i));
    float sum = _mm512_reduce_add_ps(acc);
    for (int i = d16; i < dim; ++i) sum += v[i];
    const float mean = sum / dim;
    const __m512 vmean = _mm512_set1_ps(mean);
    acc = _mm512_setzero_ps();
    for (int i = 0; i < d16; i += 16) {
      const __m512 c = _mm512_sub_ps(_mm512_loadu_ps(v + i), vmean);
      acc = _mm512_fmadd_ps(c, c, acc);
    }
    float var = _mm512_reduce_add_ps(acc);
    for (int i = d16; i < dim; ++i) var += (v[i] - mean) * (v[i] - mean);
    var /= dim;
    const float inv = 1.0f / std::sqrt(var + eps);
    const __m512 vinv = _mm512_set1_ps(inv);
    for (int i = 0; i < d16; i += 16) {
      const __m512 c = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(v + i), vmean), vinv);
      _mm512_storeu_ps(v + i, _mm512_fmadd_ps(c, _mm512_loadu_ps(gamma + i), _mm512_loadu_ps(beta + i)));
    }
    for (int i = d16; i < dim; ++i) v[i] = (v[i] - mean) * inv * gamma[i] + beta[i];
  }
}
#endif

}  // namespace

void layer_norm(float* x, int rows, int dim, const float* gamma, const float* beta, float eps) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) {
    layer_norm_avx512(x, rows, dim, gamma, beta, eps);
    return;
  }
#endif
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<long>(r) * dim;
    float mean = 0;
    for (int i = 0; i < dim; ++i) mean += v[i];
    mean /= dim;
    float var = 0;
    for (int i = 0; i < dim; ++i) var += (v[i] - mean) * (v[i] - mean);
    var /= dim;
    const float inv = 1.0f / std::sqrt(var + eps);
    for (int i = 0; i < dim; ++i) v[i] = (v[i] - mean) * inv * gamma[i] + beta[i];
  }
}

void layer_norm_ref(float* x, int rows, int dim, const float* gamma, const float* beta, float eps) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<long>(r) * dim;
    double mean = 0, var = 0;
    for (int i = 0; i < dim; ++i) mean += v[i];
    mean /= dim;
    for (int i = 0; i < dim; ++i) var += (v[i] - mean) * (v[i] - mean);
    var /= dim;
    for (int i = 0; i < dim; ++i)
      v[i] = static_cast<float>((v[i] - mean) / std::sqrt(var + eps) * gamma[i] + beta[i]);
  }
}

float activate_ref(hf::Activation act, float x) {
  switch (act) {
    case hf::Activation::kGeluErf:
      return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))));
    case hf::Activation::kGeluTanh: {
      const double k = std::sqrt(2.0 / M_PI);
      return static_cast<float>(0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x))));
    }
    case hf::Activation::kRelu:
      return x > 0 ? x : 0.0f;
  }
  return x;
}

namespace {

// Exact GELU through erf_rational (erf_rational.h): AVX-512 where the CPU has it, else SSE
// (baseline x86-64) four at a time, because GCC will not vectorise the clamp without
// -ffast-math. GELU over a BERT-base text's FFN activations drops from ~28 ms to a few. The
// AVX-512 path and the scalar tail (gelu_erf1) equal each other bit for bit; the SSE path (no
// FMA) rounds each product and sum on its own and is within an ulp or two of them.

#if defined(__x86_64__)
__attribute__((target("avx512f"))) long gelu_erf_avx512(float* x, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, gelu_erf16(_mm512_loadu_ps(x + i)));
  return i;
}
#endif

void gelu_erf(float* x, long n) {
  long i = 0;
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) i = gelu_erf_avx512(x, n);
#endif
#ifdef __SSE2__
  const __m128 half = _mm_set1_ps(0.5f), one = _mm_set1_ps(1.0f),
               rsqrt2 = _mm_set1_ps(0.70710678118654752f), hi = _mm_set1_ps(4.0f),
               lo = _mm_set1_ps(-4.0f);
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(x + i);
    const __m128 t = _mm_min_ps(hi, _mm_max_ps(lo, _mm_mul_ps(v, rsqrt2)));
    const __m128 z = _mm_mul_ps(t, t);
    __m128 p = _mm_set1_ps(kErfP[0]), q = _mm_set1_ps(kErfQ[0]);
    for (int k = 1; k < 7; ++k) p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(kErfP[k]));
    for (int k = 1; k < 6; ++k) q = _mm_add_ps(_mm_mul_ps(q, z), _mm_set1_ps(kErfQ[k]));
    const __m128 erf = _mm_div_ps(_mm_mul_ps(t, p), q);
    _mm_storeu_ps(x + i, _mm_mul_ps(_mm_mul_ps(half, v), _mm_add_ps(one, erf)));
  }
#endif
  for (; i < n; ++i) x[i] = gelu_erf1(x[i]);
}

}  // namespace

void activate(hf::Activation act, float* x, long n) {
  switch (act) {
    case hf::Activation::kGeluErf:
      gelu_erf(x, n);
      return;
    case hf::Activation::kGeluTanh:
      for (long i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
      }
      return;
    case hf::Activation::kRelu:
      for (long i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
      return;
  }
}

void self_attention(const float* qkv, int len, int query_rows, int hidden, int heads, float* ctx) {
  const int d = hidden / heads;
  const long stride = 3L * hidden;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::vector<float> scores(static_cast<size_t>(query_rows) * len);
  for (int h = 0; h < heads; ++h) {
    const float* q = qkv + h * d;
    const float* k = qkv + hidden + h * d;
    const float* v = qkv + 2 * hidden + h * d;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, query_rows, len, d, scale, q, stride, k,
                stride, 0.0f, scores.data(), len);
    for (int r = 0; r < query_rows; ++r) {
      float* s = scores.data() + static_cast<long>(r) * len;
      const float mx = *std::max_element(s, s + len);
      float sum = 0;
      for (int j = 0; j < len; ++j) sum += (s[j] = std::exp(s[j] - mx));
      const float inv = 1.0f / sum;
      for (int j = 0; j < len; ++j) s[j] *= inv;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, query_rows, d, len, 1.0f,
                scores.data(), len, v, stride, 0.0f, ctx + h * d, hidden);
  }
}

void self_attention_ref(const float* qkv, int len, int hidden, int heads, float* ctx) {
  const int d = hidden / heads;
  const long stride = 3L * hidden;
  std::vector<double> p(len);
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < len; ++i) {
      double mx = -1e300;
      for (int j = 0; j < len; ++j) {
        double s = 0;
        for (int t = 0; t < d; ++t) s += double(qkv[i * stride + h * d + t]) * qkv[j * stride + hidden + h * d + t];
        p[j] = s / std::sqrt(double(d));
        mx = std::max(mx, p[j]);
      }
      double sum = 0;
      for (int j = 0; j < len; ++j) sum += (p[j] = std::exp(p[j] - mx));
      for (int t = 0; t < d; ++t) {
        double acc = 0;
        for (int j = 0; j < len; ++j) acc += p[j] / sum * qkv[j * stride + 2 * hidden + h * d + t];
        ctx[static_cast<long>(i) * hidden + h * d + t] = static_cast<float>(acc);
      }
    }
  }
}

}  // namespace fenlei::transformer

FENLEI_AVX512_INTRINSICS_END
