#include "transformer/train_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>

#include "base/avx512_warnings.h"
#include "nn/rng.h"
#include "transformer/erf_rational.h"

// GCC 12 reports the _mm512_undefined_*() merge source inside AVX-512 intrinsics
// (_mm512_reduce_add_ps, _mm512_reduce_max_ps) as uninitialised: a false positive.
FENLEI_AVX512_INTRINSICS_BEGIN

namespace fenlei::transformer {

namespace {

constexpr float kRsqrt2 = 0.70710678118654752f, kRsqrt2Pi = 0.3989422804014327f;

bool have_avx512() {
#if defined(__x86_64__)
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return yes;
#else
  return false;
#endif
}

#if defined(__x86_64__)
#define FENLEI_AVX512 __attribute__((target("avx512f,avx512dq")))

// exp(a) for a in [-87, 88]: a = n ln2 + r with |r| <= ln2 / 2, exp(r) by its degree-6 Taylor
// polynomial (relative error below 2e-7), times 2^n by scalef (which also flushes to zero
// below the float range).
FENLEI_AVX512 inline __m512 exp512(__m512 a) {
  a = _mm512_max_ps(a, _mm512_set1_ps(-87.0f));
  a = _mm512_min_ps(a, _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(a, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), a);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

FENLEI_AVX512 long gelu_erf_forward_avx512(const float* pre, float* act, long n) {
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f),
               rsqrt2 = _mm512_set1_ps(kRsqrt2);
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(pre + i);
    const __m512 erf = erf_rational16(_mm512_mul_ps(v, rsqrt2));
    _mm512_storeu_ps(act + i, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, erf)));
  }
  return i;
}

FENLEI_AVX512 long gelu_erf_backward_avx512(const float* pre, const float* dy, float* dx, long n) {
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f),
               rsqrt2 = _mm512_set1_ps(kRsqrt2), rsqrt2pi = _mm512_set1_ps(kRsqrt2Pi),
               mhalf = _mm512_set1_ps(-0.5f);
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(pre + i);
    const __m512 erf = erf_rational16(_mm512_mul_ps(x, rsqrt2));
    const __m512 cdf = _mm512_mul_ps(half, _mm512_add_ps(one, erf));
    const __m512 pdf = _mm512_mul_ps(rsqrt2pi, exp512(_mm512_mul_ps(mhalf, _mm512_mul_ps(x, x))));
    const __m512 d = _mm512_fmadd_ps(x, pdf, cdf);
    _mm512_storeu_ps(dx + i, _mm512_mul_ps(_mm512_loadu_ps(dy + i), d));
  }
  return i;
}

FENLEI_AVX512 void softmax_row_avx512(float* s, int n) {
  const int n16 = n / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (n - n16)) - 1);
  const __m512 lowest = _mm512_set1_ps(-INFINITY);
  __m512 mx = lowest;
  for (int j = 0; j < n16; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(s + j));
  mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(lowest, tail, s + n16));
  const __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
  __m512 sum = _mm512_setzero_ps();
  for (int j = 0; j < n16; j += 16) {
    const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(s + j), vmax));
    _mm512_storeu_ps(s + j, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (tail) {
    const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, s + n16), vmax));
    _mm512_mask_storeu_ps(s + n16, tail, e);
    sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(tail, e));
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (int j = 0; j < n16; j += 16) _mm512_storeu_ps(s + j, _mm512_mul_ps(_mm512_loadu_ps(s + j), inv));
  if (tail) _mm512_mask_storeu_ps(s + n16, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, s + n16), inv));
}

FENLEI_AVX512 void softmax_backward_row_avx512(const float* p, float* g, int n) {
  const int n16 = n / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (n - n16)) - 1);
  __m512 acc = _mm512_setzero_ps();
  for (int j = 0; j < n16; j += 16)
    acc = _mm512_fmadd_ps(_mm512_loadu_ps(g + j), _mm512_loadu_ps(p + j), acc);
  acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, g + n16), _mm512_maskz_loadu_ps(tail, p + n16), acc);
  const __m512 dot = _mm512_set1_ps(_mm512_reduce_add_ps(acc));
  for (int j = 0; j < n16; j += 16)
    _mm512_storeu_ps(g + j, _mm512_mul_ps(_mm512_loadu_ps(p + j), _mm512_sub_ps(_mm512_loadu_ps(g + j), dot)));
  if (tail)
    _mm512_mask_storeu_ps(g + n16, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, p + n16),
                                                       _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, g + n16), dot)));
}

FENLEI_AVX512 long dropout_apply_avx512(float* x, long n, const uint8_t* keep, float p) {
  const __m512 scale = _mm512_set1_ps(1.0f / (1.0f - p));
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i k = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(keep + i)));
    const __mmask16 bits = _mm512_test_epi32_mask(k, k);
    _mm512_storeu_ps(x + i, _mm512_maskz_mul_ps(bits, _mm512_loadu_ps(x + i), scale));
  }
  return i;
}

FENLEI_AVX512 double sum_squares_avx512(const float* x, long n, long* done) {
  __m512d acc = _mm512_setzero_pd();
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
    acc = _mm512_fmadd_pd(v, v, acc);
  }
  *done = i;
  return _mm512_reduce_add_pd(acc);
}

FENLEI_AVX512 long adamw_update_avx512(const AdamWStep& s, float* p, float* m, float* v,
                                       const float* g, long n) {
  const __m512 decay = _mm512_set1_ps(s.decay), b1c = _mm512_set1_ps(1.0f - s.b1),
               b2 = _mm512_set1_ps(s.b2), b2c = _mm512_set1_ps(1.0f - s.b2),
               eps = _mm512_set1_ps(s.eps), step = _mm512_set1_ps(s.step_size),
               bc2 = _mm512_set1_ps(s.bc2_sqrt);
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 gi = g ? _mm512_loadu_ps(g + i) : _mm512_setzero_ps();
    const __m512 pi = _mm512_mul_ps(_mm512_loadu_ps(p + i), decay);
    __m512 mi = _mm512_loadu_ps(m + i);
    mi = _mm512_add_ps(mi, _mm512_mul_ps(_mm512_sub_ps(gi, mi), b1c));
    const __m512 vi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(v + i), b2),
                                    _mm512_mul_ps(_mm512_mul_ps(b2c, gi), gi));
    const __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), bc2), eps);
    _mm512_storeu_ps(m + i, mi);
    _mm512_storeu_ps(v + i, vi);
    _mm512_storeu_ps(p + i, _mm512_sub_ps(pi, _mm512_mul_ps(step, _mm512_div_ps(mi, denom))));
  }
  return i;
}

// splitmix64's finaliser (nn::mix64), 8 lanes at a time; integer arithmetic, so the masks
// are bit-identical to the scalar loop's.
FENLEI_AVX512 inline __m512i mix64_512(__m512i z) {
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)),
                         _mm512_set1_epi64(static_cast<long long>(0xbf58476d1ce4e5b9ULL)));
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)),
                         _mm512_set1_epi64(static_cast<long long>(0x94d049bb133111ebULL)));
  return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

FENLEI_AVX512 long dropout_avx512(uint64_t base, float p, long n, uint8_t* keep, float* x) {
  const __m512i golden = _mm512_set1_epi64(static_cast<long long>(0x9e3779b97f4a7c15ULL));
  const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  // u = (h >> 40) / 2^24 >= p, both sides exact, is (h >> 40) >= ceil(p 2^24) in integers.
  const __m512i threshold = _mm512_set1_epi64(static_cast<long long>(std::ceil(double(p) * 16777216.0)));
  const __m512 scale = _mm512_set1_ps(1.0f / (1.0f - p));
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    __mmask16 bits = 0;
    for (int half = 0; half < 2; ++half) {
      const __m512i idx = _mm512_add_epi64(_mm512_set1_epi64(i + 8 * half), lane);
      const __m512i h = mix64_512(_mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(base)),
                                                   _mm512_mullo_epi64(idx, golden)));
      const __mmask8 k = _mm512_cmp_epu64_mask(_mm512_srli_epi64(h, 40), threshold, _MM_CMPINT_NLT);
      bits = static_cast<__mmask16>(bits | (static_cast<unsigned>(k) << (8 * half)));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(keep + i),
                     _mm512_cvtepi32_epi8(_mm512_maskz_set1_epi32(bits, 1)));
    if (x) _mm512_storeu_ps(x + i, _mm512_maskz_mul_ps(bits, _mm512_loadu_ps(x + i), scale));
  }
  return i;
}
// Loads lanes [i, i + 16) of a row of `dim`, masked past its end.
FENLEI_AVX512 inline __m512 load_row(const float* p, int i, int dim) {
  const int left = dim - i;
  if (left >= 16) return _mm512_loadu_ps(p + i);
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << left) - 1), p + i);
}
FENLEI_AVX512 inline void store_row(float* p, int i, int dim, __m512 v) {
  const int left = dim - i;
  if (left >= 16) {
    _mm512_storeu_ps(p + i, v);
  } else {
    _mm512_mask_storeu_ps(p + i, static_cast<__mmask16>((1u << left) - 1), v);
  }
}

FENLEI_AVX512 void layer_norm_train_avx512(const float* x, int rows, int dim, const float* gamma,
                                           const float* beta, float eps, float* y, float* xhat,
                                           float* inv_std) {
  for (int r = 0; r < rows; ++r) {
    const float* v = x + static_cast<long>(r) * dim;
    float* xh = xhat + static_cast<long>(r) * dim;
    float* out = y + static_cast<long>(r) * dim;
    __m512 acc = _mm512_setzero_ps();
    for (int i = 0; i < dim; i += 16) acc = _mm512_add_ps(acc, load_row(v, i, dim));
    const float mean = _mm512_reduce_add_ps(acc) / dim;
    const __m512 vmean = _mm512_set1_ps(mean);
    acc = _mm512_setzero_ps();
    for (int i = 0; i < dim; i += 16) {
      // Masked lanes load 0 and would add mean^2: mask the difference too.
      const int left = dim - i;
      const __mmask16 k = left >= 16 ? static_cast<__mmask16>(0xffff)
                                     : static_cast<__mmask16>((1u << left) - 1);
      const __m512 c = _mm512_maskz_sub_ps(k, load_row(v, i, dim), vmean);
      acc = _mm512_fmadd_ps(c, c, acc);
    }
    const float inv = 1.0f / std::sqrt(_mm512_reduce_add_ps(acc) / dim + eps);
    inv_std[r] = inv;
    const __m512 vinv = _mm512_set1_ps(inv);
    for (int i = 0; i < dim; i += 16) {
      const __m512 h = _mm512_mul_ps(_mm512_sub_ps(load_row(v, i, dim), vmean), vinv);
      store_row(xh, i, dim, h);
      store_row(out, i, dim, _mm512_fmadd_ps(h, load_row(gamma, i, dim), load_row(beta, i, dim)));
    }
  }
}

FENLEI_AVX512 void layer_norm_backward_avx512(const float* dy, const float* xhat,
                                              const float* inv_std, int rows, int dim,
                                              const float* gamma, float* dx, float* dgamma,
                                              float* dbeta) {
  for (int r = 0; r < rows; ++r) {
    const float* g = dy + static_cast<long>(r) * dim;
    const float* xh = xhat + static_cast<long>(r) * dim;
    float* out = dx + static_cast<long>(r) * dim;
    __m512 sum_g = _mm512_setzero_ps(), sum_gx = _mm512_setzero_ps();
    for (int i = 0; i < dim; i += 16) {
      const __m512 gv = load_row(g, i, dim), xv = load_row(xh, i, dim);
      store_row(dgamma, i, dim, _mm512_fmadd_ps(gv, xv, load_row(dgamma, i, dim)));
      store_row(dbeta, i, dim, _mm512_add_ps(gv, load_row(dbeta, i, dim)));
      const __m512 gi = _mm512_mul_ps(gv, load_row(gamma, i, dim));
      sum_g = _mm512_add_ps(sum_g, gi);
      sum_gx = _mm512_fmadd_ps(gi, xv, sum_gx);
    }
    const __m512 mean_g = _mm512_set1_ps(_mm512_reduce_add_ps(sum_g) / dim),
                 mean_gx = _mm512_set1_ps(_mm512_reduce_add_ps(sum_gx) / dim),
                 inv = _mm512_set1_ps(inv_std[r]);
    for (int i = 0; i < dim; i += 16) {
      const __m512 gi = _mm512_mul_ps(load_row(g, i, dim), load_row(gamma, i, dim));
      const __m512 t = _mm512_fnmadd_ps(load_row(xh, i, dim), mean_gx, _mm512_sub_ps(gi, mean_g));
      store_row(out, i, dim, _mm512_mul_ps(inv, t));
    }
  }
}
#undef FENLEI_AVX512
#endif

}  // namespace

void gelu_erf_forward(const float* pre, float* act, long n) {
  long i = 0;
#if defined(__x86_64__)
  if (have_avx512()) i = gelu_erf_forward_avx512(pre, act, n);
#endif
  for (; i < n; ++i) act[i] = gelu_erf1(pre[i]);
}

void gelu_erf_backward(const float* pre, const float* dy, float* dx, long n) {
  long i = 0;
#if defined(__x86_64__)
  if (have_avx512()) i = gelu_erf_backward_avx512(pre, dy, dx, n);
#endif
  for (; i < n; ++i) {
    const float x = pre[i];
    const float d = 0.5f * (1.0f + erf_rational(x * kRsqrt2)) + x * kRsqrt2Pi * std::exp(-0.5f * x * x);
    dx[i] = dy[i] * d;
  }
}

void softmax_row(float* s, int n) {
#if defined(__x86_64__)
  if (have_avx512()) {
    softmax_row_avx512(s, n);
    return;
  }
#endif
  const float mx = *std::max_element(s, s + n);
  float sum = 0;
  for (int j = 0; j < n; ++j) sum += (s[j] = std::exp(s[j] - mx));
  const float inv = 1.0f / sum;
  for (int j = 0; j < n; ++j) s[j] *= inv;
}

void softmax_backward_row(const float* p, float* g, int n) {
#if defined(__x86_64__)
  if (have_avx512()) {
    softmax_backward_row_avx512(p, g, n);
    return;
  }
#endif
  float dot = 0;
  for (int j = 0; j < n; ++j) dot += g[j] * p[j];
  for (int j = 0; j < n; ++j) g[j] = p[j] * (g[j] - dot);
}

void dropout_apply(float* x, long n, const uint8_t* keep, float p) {
  long i = 0;
#if defined(__x86_64__)
  if (have_avx512()) i = dropout_apply_avx512(x, n, keep, p);
#endif
  const float scale = 1.0f / (1.0f - p);
  for (; i < n; ++i) x[i] = keep[i] ? x[i] * scale : 0.0f;
}

double sum_squares(const float* x, long n) {
  double sum = 0;
  long i = 0;
#if defined(__x86_64__)
  if (have_avx512()) sum = sum_squares_avx512(x, n, &i);
#endif
  for (; i < n; ++i) sum += double(x[i]) * x[i];
  return sum;
}

void adamw_update(const AdamWStep& s, float* p, float* m, float* v, const float* g, long n) {
  long i = 0;
#if defined(__x86_64__)
  if (have_avx512()) i = adamw_update_avx512(s, p, m, v, g, n);
#endif
  for (; i < n; ++i) {
    const float gi = g ? g[i] : 0.0f;
    p[i] *= s.decay;
    m[i] += (gi - m[i]) * (1.0f - s.b1);
    v[i] = v[i] * s.b2 + (1.0f - s.b2) * gi * gi;
    const float denom = std::sqrt(v[i]) / s.bc2_sqrt + s.eps;
    p[i] -= s.step_size * (m[i] / denom);
  }
}

void dropout_mask_apply(uint64_t key, float p, long n, uint8_t* keep, float* x) {
  const uint64_t base = nn::mix64(key ^ 0x2545f4914f6cdd1dULL);
  long i = 0;
#if defined(__x86_64__)
  if (have_avx512()) i = dropout_avx512(base, p, n, keep, x);
#endif
  const float scale = 1.0f / (1.0f - p);
  for (; i < n; ++i) {
    const float u = static_cast<float>(nn::mix64(base + static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL) >> 40) *
                    (1.0f / 16777216.0f);
    keep[i] = u >= p ? 1 : 0;
    if (x) x[i] = keep[i] ? x[i] * scale : 0.0f;
  }
}

bool layer_norm_train_fast(const float* x, int rows, int dim, const float* gamma,
                           const float* beta, float eps, float* y, float* xhat, float* inv_std) {
#if defined(__x86_64__)
  if (have_avx512()) {
    layer_norm_train_avx512(x, rows, dim, gamma, beta, eps, y, xhat, inv_std);
    return true;
  }
#endif
  (void)x, (void)rows, (void)dim, (void)gamma, (void)beta, (void)eps, (void)y, (void)xhat,
      (void)inv_std;
  return false;
}

bool layer_norm_backward_fast(const float* dy, const float* xhat, const float* inv_std, int rows,
                              int dim, const float* gamma, float* dx, float* dgamma, float* dbeta) {
#if defined(__x86_64__)
  if (have_avx512()) {
    layer_norm_backward_avx512(dy, xhat, inv_std, rows, dim, gamma, dx, dgamma, dbeta);
    return true;
  }
#endif
  (void)dy, (void)xhat, (void)inv_std, (void)rows, (void)dim, (void)gamma, (void)dx, (void)dgamma,
      (void)dbeta;
  return false;
}

}  // namespace fenlei::transformer

FENLEI_AVX512_INTRINSICS_END
