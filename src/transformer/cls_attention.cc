#include "transformer/cls_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/avx512_warnings.h"
#include "quant/bf16.h"
#include "quant/kernels.h"
#include "transformer/attention.h"
#include "transformer/dense_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fenlei::transformer {
namespace {

int panels_of(int n) { return (n + kPanelWidth - 1) / kPanelWidth; }

// The padded width of the layer's input (u has this many entries; past k they are unused).
int padded_in(const ClsQkv& w) {
  if (w.bf16) return w.bf16->packed.kp;
  if (w.int8) return w.int8->packed.kp;
  return w.f32->k;
}

// w[o][i] as stored: float, bf16 widened, or the int8 integer (out_scale makes it the weight).
float stored_at(const ClsQkv& w, int o, int i) {
  const size_t in_panel = static_cast<size_t>(o % kPanelWidth);
  if (w.f32) {
    const PackedF32& p = *w.f32;
    return p.panels[(static_cast<size_t>(o / kPanelWidth) * p.k + i) * kPanelWidth + in_panel];
  }
  if (w.bf16) {
    const PackedBf16& p = w.bf16->packed;
    const size_t at = static_cast<size_t>(o / kPanelWidth) * p.kp * kPanelWidth +
                      (static_cast<size_t>(i / 2) * kPanelWidth + in_panel) * 2 + i % 2;
    return quant::bf16_to_float(p.panels[at]);
  }
  return static_cast<float>(packed_int8_at(w.int8->packed, o, i));
}

float out_scale(const ClsQkv& w, int o) { return w.int8 ? w.int8->scale[o] : 1.0f; }

// y[o] for outputs o in panels [pb, pe) of the packed layer, for the one row x (hidden floats):
// the layer's own kernel, bias included (row: the layer's out floats, rounded up to 32), its
// panels split over `threads` when large enough.
void packed_row(const ClsQkv& w, const float* x, int pb, int pe, float* row,
                ClsAttentionScratch* s, IntraOp threads = {}) {
  if (w.f32) {
    PackedCall c;
    c.x = x;
    c.rows = 1;
    c.ldx = w.f32->k;
    c.w = w.f32;
    c.bias = w.bias;
    c.y = row;
    c.ldy = w.f32->n;
    c.panel_begin = pb;
    c.panel_end = pe;
    packed_parallel(best_packed_f32(), c, threads.pool, threads.min_macs);
    return;
  }
  PackedRun run;
  run.panel_begin = pb;
  run.panel_end = pe;
  run.threads = threads;
  if (w.bf16) {
    const Bf16Linear& l = *w.bf16;
    s->xb.assign(l.packed.kp, 0);  // 0 past k
    quant::floats_to_bf16(x, l.in, s->xb.data());
    linear_bf16_rounded(s->xb.data(), 1, l, w.bias, row, run);
    return;
  }
  const Int8Linear& l = *w.int8;
  s->int8.qx.resize(l.packed.kp);
  s->int8.row_scale.resize(1);
  quant::quantize_rows_u8(x, 1, l.in, l.packed.kp, s->int8.qx.data(), s->int8.row_scale.data());
  linear_int8_quantised(s->int8.qx.data(), s->int8.row_scale.data(), 1, l, row, w.int8_kernel, run);
}

// The terms of xbar: bf16 keeps 8 significant bits a term and int8 about a factor 254 of the
// row's range, so three terms carry xbar to float precision (24 bits; 254^3 > 2^23).
constexpr int kTerms = 3;

// y[o] = W xbar + b for outputs o in panels [pb, pe), with xbar as it is, not rounded to what the
// kernel takes: xbar is split into kTerms rows, each the kernel's representation of what the
// earlier terms left, run as one call of kTerms rows (the weights read once) and summed, the
// bias counted once. (Float weights: the kernel takes xbar itself.)
void packed_row_unrounded(const ClsQkv& w, const float* xbar, int pb, int pe, float* row,
                          ClsAttentionScratch* s) {
  if (w.f32) {
    packed_row(w, xbar, pb, pe, row, s);
    return;
  }
  const int in = w.bf16 ? w.bf16->in : w.int8->in;
  const int out = w.bf16 ? w.bf16->out : w.int8->out;
  const int kp = w.bf16 ? w.bf16->packed.kp : w.int8->packed.kp;
  const float* bias = w.bf16 ? w.bias : w.int8->bias.data();
  PackedRun run;
  run.panel_begin = pb;
  run.panel_end = pe;
  s->residual.assign(xbar, xbar + in);
  std::vector<float>& y = s->terms;  // kTerms x out
  y.resize(static_cast<size_t>(kTerms) * out + kPanelWidth);
  if (w.bf16) {
    s->xb.assign(static_cast<size_t>(kTerms) * kp, 0);  // 0 past in
    for (int t = 0; t < kTerms; ++t) {
      uint16_t* term = s->xb.data() + static_cast<size_t>(t) * kp;
      quant::floats_to_bf16(s->residual.data(), in, term);
      for (int i = 0; i < in; ++i) s->residual[i] -= quant::bf16_to_float(term[i]);
    }
    linear_bf16_rounded(s->xb.data(), kTerms, *w.bf16, bias, y.data(), run);
  } else {
    s->int8.qx.resize(static_cast<size_t>(kTerms) * kp);
    s->int8.row_scale.resize(kTerms);
    for (int t = 0; t < kTerms; ++t) {
      uint8_t* term = s->int8.qx.data() + static_cast<size_t>(t) * kp;
      quant::quantize_rows_u8(s->residual.data(), 1, in, kp, term, &s->int8.row_scale[t]);
      const float scale = s->int8.row_scale[t];
      for (int i = 0; i < in; ++i)
        s->residual[i] -= static_cast<float>(int{term[i]} - quant::kActivationZero) * scale;
    }
    linear_int8_quantised(s->int8.qx.data(), s->int8.row_scale.data(), kTerms, *w.int8, y.data(),
                          w.int8_kernel, run);
  }
  const int o_end = std::min(out, pe * kPanelWidth);
  for (int o = pb * kPanelWidth; o < o_end; ++o) {
    float sum = y[o];  // bias included
    for (int t = 1; t < kTerms; ++t) sum += y[static_cast<size_t>(t) * out + o] - bias[o];
    row[o] = sum;
  }
}

float dot_ref(const float* a, const float* b, int n) {
  float acc = 0.0f;
  for (int i = 0; i < n; ++i) acc = std::fma(a[i], b[i], acc);
  return acc;
}

// out[hh][c] = sum_j p[hh][j] x[j][c] for nh heads (p: nh x len, stride len; out: nh x n).
void weighted_rows_ref(const float* x, int len, int n, const float* p, int nh, float* out) {
  for (int hh = 0; hh < nh; ++hh)
    for (int c = 0; c < n; ++c) {
      float acc = 0.0f;
      for (int j = 0; j < len; ++j)
        acc = std::fma(p[static_cast<long>(hh) * len + j], x[static_cast<long>(j) * n + c], acc);
      out[static_cast<long>(hh) * n + c] = acc;
    }
}

#if defined(__x86_64__)

// GCC 12's AVX-512 headers trip its own uninitialised-variable warnings (as in attention.cc).
FENLEI_AVX512_INTRINSICS_BEGIN

__attribute__((target("avx512f"))) inline __mmask16 tail_mask(int left) {
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

// Four accumulators over 64-float steps, then 16-float (masked) steps into the first.
__attribute__((target("avx512f"))) float dot_avx512(const float* a, const float* b, int n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

// NB heads of weighted_rows at once over 32 columns at a time: x is read once per block of
// heads, and every (head, column) sums over j in order from 0, as weighted_rows_ref does
// (fma, same order: bit-equal to it).
template <int NB>
__attribute__((target("avx512f"))) void weighted_block_avx512(const float* x, int len, int n,
                                                              const float* p, float* out) {
  for (int c = 0; c < n; c += 32) {
    const __mmask16 m0 = tail_mask(n - c), m1 = n - c > 16 ? tail_mask(n - c - 16) : 0;
    __m512 acc[NB][2];
    for (int b = 0; b < NB; ++b) acc[b][0] = acc[b][1] = _mm512_setzero_ps();
    for (int j = 0; j < len; ++j) {
      const float* xj = x + static_cast<long>(j) * n + c;
      const __m512 x0 = _mm512_maskz_loadu_ps(m0, xj), x1 = _mm512_maskz_loadu_ps(m1, xj + 16);
      for (int b = 0; b < NB; ++b) {
        const __m512 pj = _mm512_set1_ps(p[static_cast<long>(b) * len + j]);
        acc[b][0] = _mm512_fmadd_ps(pj, x0, acc[b][0]);
        acc[b][1] = _mm512_fmadd_ps(pj, x1, acc[b][1]);
      }
    }
    for (int b = 0; b < NB; ++b) {
      _mm512_mask_storeu_ps(out + static_cast<long>(b) * n + c, m0, acc[b][0]);
      _mm512_mask_storeu_ps(out + static_cast<long>(b) * n + c + 16, m1, acc[b][1]);
    }
  }
}

// Folds 16 lanes to 4 (lane i: lanes i, i + 4, i + 8, i + 12 added).
__attribute__((target("avx512f"))) inline __m128 fold_to4(__m512 a) {
  const __m256 lo = _mm512_castps512_ps256(a);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1));
  const __m256 s = _mm256_add_ps(lo, hi);
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

// u[i] = sum over panels [pb, pe) of panel row i . v: per row, the panels' 32-float rows times
// v's matching 32 floats, one 16-lane sum.
__attribute__((target("avx512f"))) void transposed_f32_avx512(const PackedF32& w, int pb, int pe,
                                                              const float* v, float* u) {
  const size_t panel = static_cast<size_t>(w.k) * kPanelWidth;
  const float* base = w.panels.data() + pb * panel;
  const int np = pe - pb;
  for (int i = 0; i < w.k; ++i) {
    __m512 acc = _mm512_setzero_ps();
    for (int t = 0; t < np; ++t) {
      const float* row = base + t * panel + static_cast<size_t>(i) * kPanelWidth;
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(row), _mm512_loadu_ps(v + t * kPanelWidth), acc);
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(row + 16), _mm512_loadu_ps(v + t * kPanelWidth + 16), acc);
    }
    u[i] = _mm512_reduce_add_ps(acc);
  }
}

// int8 panels hold, per group of 4 inputs, 32 outputs x 4 bytes: 16 bytes are 4 outputs x 4
// inputs, widened to 16 floats (lane 4 * output + input) and multiplied by the outputs'
// coefficients (scale x v, each repeated 4 times); the 4 input sums are the folded lanes.
__attribute__((target("avx512f"))) void transposed_int8_avx512(const PackedInt8& w, int pb, int pe,
                                                               const float* coef, float* u) {
  const int np = pe - pb;
  const size_t panel = static_cast<size_t>(w.kp) * kPanelWidth;
  const int8_t* base = w.panels.data() + pb * panel;
  for (int g = 0; g < w.kp / 4; ++g) {
    __m512 acc = _mm512_setzero_ps();
    for (int t = 0; t < np; ++t) {
      const int8_t* row = base + t * panel + static_cast<size_t>(g) * kPanelWidth * 4;
      const float* ct = coef + static_cast<size_t>(t) * kPanelWidth * 4;
      for (int q = 0; q < 8; ++q) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * q));
        const __m512 wq = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes));
        acc = _mm512_fmadd_ps(wq, _mm512_loadu_ps(ct + 16 * q), acc);
      }
    }
    _mm_storeu_ps(u + 4 * g, fold_to4(acc));
  }
}

// bf16 panels hold, per pair of inputs, 32 outputs x 2: 16 bf16 are 8 outputs x 2 inputs,
// widened to 16 floats (lane 2 * output + input); the 2 input sums are the even and odd lanes.
__attribute__((target("avx512f"))) void transposed_bf16_avx512(const PackedBf16& w, int pb, int pe,
                                                               const float* coef, float* u) {
  const int np = pe - pb;
  const size_t panel = static_cast<size_t>(w.kp) * kPanelWidth;
  const uint16_t* base = w.panels.data() + pb * panel;
  for (int g = 0; g < w.kp / 2; ++g) {
    __m512 acc = _mm512_setzero_ps();
    for (int t = 0; t < np; ++t) {
      const uint16_t* row = base + t * panel + static_cast<size_t>(g) * kPanelWidth * 2;
      const float* ct = coef + static_cast<size_t>(t) * kPanelWidth * 2;
      for (int q = 0; q < 4; ++q) {
        const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 16 * q));
        const __m512 wq = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
        acc = _mm512_fmadd_ps(wq, _mm512_loadu_ps(ct + 16 * q), acc);
      }
    }
    const __m128 four = fold_to4(acc);  // even, odd, even, odd
    const __m128 two = _mm_add_ps(four, _mm_movehl_ps(four, four));
    _mm_storel_pi(reinterpret_cast<__m64*>(u + 2 * g), two);
  }
}

// The same kernels 8 floats wide, for CPUs with AVX2 and FMA but no AVX-512.
__attribute__((target("avx2,fma"))) inline float sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  float r = sum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < n; ++i) r = std::fma(a[i], b[i], r);
  return r;
}

// As weighted_block_avx512, 16 columns at a time; the last n % 16 columns in scalar fma (the
// same operations in the same order).
template <int NB>
__attribute__((target("avx2,fma"))) void weighted_block_avx2(const float* x, int len, int n,
                                                             const float* p, float* out) {
  int c = 0;
  for (; c + 16 <= n; c += 16) {
    __m256 acc[NB][2];
    for (int b = 0; b < NB; ++b) acc[b][0] = acc[b][1] = _mm256_setzero_ps();
    for (int j = 0; j < len; ++j) {
      const float* xj = x + static_cast<long>(j) * n + c;
      const __m256 x0 = _mm256_loadu_ps(xj), x1 = _mm256_loadu_ps(xj + 8);
      for (int b = 0; b < NB; ++b) {
        const __m256 pj = _mm256_set1_ps(p[static_cast<long>(b) * len + j]);
        acc[b][0] = _mm256_fmadd_ps(pj, x0, acc[b][0]);
        acc[b][1] = _mm256_fmadd_ps(pj, x1, acc[b][1]);
      }
    }
    for (int b = 0; b < NB; ++b) {
      _mm256_storeu_ps(out + static_cast<long>(b) * n + c, acc[b][0]);
      _mm256_storeu_ps(out + static_cast<long>(b) * n + c + 8, acc[b][1]);
    }
  }
  for (int b = 0; b < NB; ++b)
    for (int cc = c; cc < n; ++cc) {
      float acc = 0.0f;
      for (int j = 0; j < len; ++j)
        acc = std::fma(p[static_cast<long>(b) * len + j], x[static_cast<long>(j) * n + cc], acc);
      out[static_cast<long>(b) * n + cc] = acc;
    }
}

__attribute__((target("avx2,fma"))) void transposed_f32_avx2(const PackedF32& w, int pb, int pe,
                                                             const float* v, float* u) {
  const size_t panel = static_cast<size_t>(w.k) * kPanelWidth;
  const float* base = w.panels.data() + pb * panel;
  const int np = pe - pb;
  for (int i = 0; i < w.k; ++i) {
    __m256 acc = _mm256_setzero_ps();
    for (int t = 0; t < np; ++t) {
      const float* row = base + t * panel + static_cast<size_t>(i) * kPanelWidth;
      const float* vt = v + t * kPanelWidth;
      for (int q = 0; q < 4; ++q)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(row + 8 * q), _mm256_loadu_ps(vt + 8 * q), acc);
    }
    u[i] = sum8(acc);
  }
}

// 8 bytes are 2 outputs x 4 inputs (lane 4 * output + input); the halves fold to the 4 sums.
__attribute__((target("avx2,fma"))) void transposed_int8_avx2(const PackedInt8& w, int pb, int pe,
                                                              const float* coef, float* u) {
  const size_t panel = static_cast<size_t>(w.kp) * kPanelWidth;
  const int8_t* base = w.panels.data() + pb * panel;
  const int np = pe - pb;
  for (int g = 0; g < w.kp / 4; ++g) {
    __m256 acc = _mm256_setzero_ps();
    for (int t = 0; t < np; ++t) {
      const int8_t* row = base + t * panel + static_cast<size_t>(g) * kPanelWidth * 4;
      const float* ct = coef + static_cast<size_t>(t) * kPanelWidth * 4;
      for (int q = 0; q < 16; ++q) {
        const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + 8 * q));
        const __m256 wq = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
        acc = _mm256_fmadd_ps(wq, _mm256_loadu_ps(ct + 8 * q), acc);
      }
    }
    _mm_storeu_ps(u + 4 * g, _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1)));
  }
}

// 8 bf16 are 4 outputs x 2 inputs (lane 2 * output + input).
__attribute__((target("avx2,fma"))) void transposed_bf16_avx2(const PackedBf16& w, int pb, int pe,
                                                              const float* coef, float* u) {
  const size_t panel = static_cast<size_t>(w.kp) * kPanelWidth;
  const uint16_t* base = w.panels.data() + pb * panel;
  const int np = pe - pb;
  for (int g = 0; g < w.kp / 2; ++g) {
    __m256 acc = _mm256_setzero_ps();
    for (int t = 0; t < np; ++t) {
      const uint16_t* row = base + t * panel + static_cast<size_t>(g) * kPanelWidth * 2;
      const float* ct = coef + static_cast<size_t>(t) * kPanelWidth * 2;
      for (int q = 0; q < 8; ++q) {
        const __m128i half = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 8 * q));
        const __m256 wq = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(half), 16));
        acc = _mm256_fmadd_ps(wq, _mm256_loadu_ps(ct + 8 * q), acc);
      }
    }
    const __m128 four = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    _mm_storel_pi(reinterpret_cast<__m64*>(u + 2 * g), _mm_add_ps(four, _mm_movehl_ps(four, four)));
  }
}

FENLEI_AVX512_INTRINSICS_END

#endif  // __x86_64__

// The kernels a call runs: 2 AVX-512, 1 AVX2 + FMA, 0 scalar (w.isa caps the CPU's best).
int isa_of(const ClsQkv& w) {
#if defined(__x86_64__)
  static const int best = cpu_has_avx512f() ? 2 : cpu_has_avx2_fma() ? 1 : 0;
  return w.isa < 0 ? best : std::min(w.isa, best);
#else
  (void)w;
  return 0;
#endif
}

float dot(int isa, const float* a, const float* b, int n) {
#if defined(__x86_64__)
  if (isa == 2) return dot_avx512(a, b, n);
  if (isa == 1) return dot_avx2(a, b, n);
#endif
  (void)isa;
  return dot_ref(a, b, n);
}

template <template <int> class Block>
void weighted_rows_blocked(const float* x, int len, int n, const float* p, int nh, float* out) {
  for (int h0 = 0; h0 < nh;) {
    const int nb = std::min(8, nh - h0);
    const float* ph = p + static_cast<long>(h0) * len;
    float* oh = out + static_cast<long>(h0) * n;
    switch (nb) {
      case 1: Block<1>::run(x, len, n, ph, oh); break;
      case 2: Block<2>::run(x, len, n, ph, oh); break;
      case 3: Block<3>::run(x, len, n, ph, oh); break;
      case 4: Block<4>::run(x, len, n, ph, oh); break;
      case 5: Block<5>::run(x, len, n, ph, oh); break;
      case 6: Block<6>::run(x, len, n, ph, oh); break;
      case 7: Block<7>::run(x, len, n, ph, oh); break;
      default: Block<8>::run(x, len, n, ph, oh); break;
    }
    h0 += nb;
  }
}

#if defined(__x86_64__)
template <int NB>
struct Avx512Block {
  static void run(const float* x, int len, int n, const float* p, float* out) {
    weighted_block_avx512<NB>(x, len, n, p, out);
  }
};
template <int NB>
struct Avx2Block {
  static void run(const float* x, int len, int n, const float* p, float* out) {
    weighted_block_avx2<NB>(x, len, n, p, out);
  }
};
#endif

void weighted_rows(int isa, const float* x, int len, int n, const float* p, int nh, float* out) {
#if defined(__x86_64__)
  if (isa == 2) return weighted_rows_blocked<Avx512Block>(x, len, n, p, nh, out);
  if (isa == 1) return weighted_rows_blocked<Avx2Block>(x, len, n, p, nh, out);
#endif
  (void)isa;
  weighted_rows_ref(x, len, n, p, nh, out);
}

}  // namespace

void transposed_product_ref(const ClsQkv& w, int o_begin, int o_end, const float* v, float* u) {
  const int k = padded_in(w);
  const int in = w.f32 ? w.f32->k : w.bf16 ? w.bf16->in : w.int8->in;
  for (int i = 0; i < k; ++i) {
    float acc = 0.0f;
    for (int o = o_begin; i < in && o < o_end; ++o)
      acc = std::fma(stored_at(w, o, i), v[o - o_begin] * out_scale(w, o), acc);
    u[i] = acc;
  }
}

void transposed_product(const ClsQkv& w, int o_begin, int o_end, const float* v, float* u) {
#if defined(__x86_64__)
  const int isa = isa_of(w);
  const int n = w.f32 ? w.f32->n : w.bf16 ? w.bf16->out : w.int8->out;
  const bool whole_panels = o_begin % kPanelWidth == 0 && o_end % kPanelWidth == 0 && o_end <= n;
  if (isa > 0 && whole_panels && o_end > o_begin) {
    const int pb = o_begin / kPanelWidth, pe = o_end / kPanelWidth;
    if (w.f32) {
      (isa == 2 ? transposed_f32_avx512 : transposed_f32_avx2)(*w.f32, pb, pe, v, u);
      return;
    }
    // Each output's coefficient (v, times the int8 scale) repeated once per input of a group.
    thread_local std::vector<float> coef;
    const int group = w.int8 ? 4 : 2;
    coef.resize(static_cast<size_t>(o_end - o_begin) * group);
    for (int o = o_begin; o < o_end; ++o)
      for (int r = 0; r < group; ++r)
        coef[static_cast<size_t>(o - o_begin) * group + r] = v[o - o_begin] * out_scale(w, o);
    if (w.int8) {
      (isa == 2 ? transposed_int8_avx512 : transposed_int8_avx2)(w.int8->packed, pb, pe, coef.data(), u);
    } else {
      (isa == 2 ? transposed_bf16_avx512 : transposed_bf16_avx2)(w.bf16->packed, pb, pe, coef.data(), u);
    }
    return;
  }
#endif
  transposed_product_ref(w, o_begin, o_end, v, u);
}

const float* cls_rows_as_seen(const ClsQkv& w, const float* x, int len, int hidden,
                              ClsAttentionScratch* s) {
  if (w.f32) return x;
  const size_t n = static_cast<size_t>(len) * hidden;
  s->seen.resize(n);
  if (w.bf16) {
    s->xb.resize(n);
    quant::floats_to_bf16(x, static_cast<long>(n), s->xb.data());
    for (size_t i = 0; i < n; ++i) s->seen[i] = quant::bf16_to_float(s->xb[i]);
    return s->seen.data();
  }
  const int kp = w.int8->packed.kp;
  s->int8.qx.resize(static_cast<size_t>(len) * kp);
  s->int8.row_scale.resize(len);
  quant::quantize_rows_u8(x, len, hidden, kp, s->int8.qx.data(), s->int8.row_scale.data());
  for (int j = 0; j < len; ++j) {
    const uint8_t* q = s->int8.qx.data() + static_cast<size_t>(j) * kp;
    float* out = s->seen.data() + static_cast<size_t>(j) * hidden;
    for (int i = 0; i < hidden; ++i)
      out[i] = static_cast<float>(int{q[i]} - quant::kActivationZero) * s->int8.row_scale[j];
  }
  return s->seen.data();
}

void cls_query(const ClsQkv& w, const float* x0, int hidden, float* q, ClsAttentionScratch* s,
               IntraOp threads) {
  packed_row(w, x0, 0, panels_of(hidden), q, s, threads);
}

void cls_attention_heads(const ClsQkv& w, const float* x, int len, const float* q, int hidden,
                         int heads, int h_begin, int h_end, float* ctx, ClsAttentionScratch* s) {
  const int d = hidden / heads, nh = h_end - h_begin;
  if (nh <= 0) return;
  const int us = padded_in(w);
  s->u.resize(static_cast<size_t>(nh) * us);
  s->scores.resize(static_cast<size_t>(nh) * len);
  s->xbar.resize(static_cast<size_t>(nh) * hidden);
  s->row.resize(static_cast<size_t>(panels_of(3 * hidden)) * kPanelWidth);
  // u = W_k^T q per head (the keys are outputs hidden .. 2 * hidden of the fused layer).
  for (int hh = 0; hh < nh; ++hh) {
    const int o = hidden + (h_begin + hh) * d;
    transposed_product(w, o, o + d, q + (h_begin + hh) * d, s->u.data() + static_cast<size_t>(hh) * us);
  }
  // Scores x_j . u (q . b_k dropped: the same for every j), row by row, so x is read once.
  const int isa = isa_of(w);
  for (int j = 0; j < len; ++j) {
    const float* xj = x + static_cast<long>(j) * hidden;
    for (int hh = 0; hh < nh; ++hh)
      s->scores[static_cast<size_t>(hh) * len + j] =
          dot(isa, xj, s->u.data() + static_cast<size_t>(hh) * us, hidden);
  }
  softmax_rows(s->scores.data(), nh, len, len, 1.0f / std::sqrt(static_cast<float>(d)));
  weighted_rows(isa, x, len, hidden, s->scores.data(), nh, s->xbar.data());
  // ctx = W_v xbar + b_v on the layer's kernel, over the panels that hold the head's values
  // (whole panels: a panel shared with the next head is computed and that part discarded).
  for (int hh = 0; hh < nh; ++hh) {
    const int o = 2 * hidden + (h_begin + hh) * d;
    packed_row_unrounded(w, s->xbar.data() + static_cast<size_t>(hh) * hidden, o / kPanelWidth,
                         panels_of(o + d), s->row.data(), s);
    std::memcpy(ctx + (h_begin + hh) * d, s->row.data() + o, sizeof(float) * d);
  }
}

}  // namespace fenlei::transformer
