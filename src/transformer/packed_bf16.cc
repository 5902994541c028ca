// Packed bf16 dense kernels (see packed_bf16.h).
#include "transformer/packed_bf16.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "quant/bf16.h"
#include "transformer/layers.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FENLEI_X86 1
#endif

namespace fenlei::transformer {

namespace {

int panel_count(int n) { return (n + kPanelWidth - 1) / kPanelWidth; }

const uint16_t* panel_at(const PackedBf16& p, int panel) {
  return p.panels.data() + static_cast<size_t>(panel) * p.kp * kPanelWidth;
}

// Index of w[o][i] inside its panel.
size_t in_panel(int o, int i) {
  return (static_cast<size_t>(i / 2) * kPanelWidth + o % kPanelWidth) * 2 + i % 2;
}

// The instruction's FTZ: a denormal result becomes zero of the same sign.
inline float flush(float v) { return std::fpclassify(v) == FP_SUBNORMAL ? std::copysign(0.0f, v) : v; }

void gelu_panel(const PackedBf16Call& c, int r0, int rows, int o0, int nvalid) {
  for (int r = r0; r < r0 + rows; ++r)
    activate(hf::Activation::kGeluErf, c.y + static_cast<long>(r) * c.ldy + o0, nvalid);
}

}  // namespace

PackedBf16 pack_bf16(const uint16_t* w, int n, int k, int ldw) {
  PackedBf16 p;
  p.n = n;
  p.k = k;
  p.kp = (k + 1) / 2 * 2;
  p.panels.assign(static_cast<size_t>(panel_count(n)) * p.kp * kPanelWidth, 0);
  for (int o = 0; o < n; ++o) {
    uint16_t* dst = p.panels.data() + static_cast<size_t>(o / kPanelWidth) * p.kp * kPanelWidth;
    for (int i = 0; i < k; ++i) dst[in_panel(o, i)] = w[static_cast<long>(o) * ldw + i];
  }
  return p;
}

std::vector<uint16_t> unpack_bf16(const PackedBf16& p) {
  std::vector<uint16_t> w(static_cast<size_t>(p.n) * p.k);
  for (int o = 0; o < p.n; ++o) {
    const uint16_t* src = panel_at(p, o / kPanelWidth);
    for (int i = 0; i < p.k; ++i) w[static_cast<size_t>(o) * p.k + i] = src[in_panel(o, i)];
  }
  return w;
}

void packed_bf16_ref(const PackedBf16Call& c) {
  const PackedBf16& w = *c.w;
  for (int r = 0; r < c.rows; ++r) {
    const uint16_t* x = c.x + static_cast<long>(r) * c.ldx;
    for (int o = 0; o < w.n; ++o) {
      const uint16_t* panel = panel_at(w, o / kPanelWidth);
      float acc = 0.0f;
      for (int i = 0; i < w.kp; i += 2) {
        const float x0 = quant::bf16_to_float(x[i]), x1 = quant::bf16_to_float(x[i + 1]);
        const float w0 = quant::bf16_to_float(panel[in_panel(o, i)]);
        const float w1 = quant::bf16_to_float(panel[in_panel(o, i + 1)]);
        acc = flush(std::fma(x1, w1, acc));
        acc = flush(std::fma(x0, w0, acc));
      }
      float v = acc;
      if (c.bias) v = v + c.bias[o];
      float* y = c.y + static_cast<long>(r) * c.ldy + o;
      if (c.epilogue == PackedEpilogue::kAccumulate) v = *y + v;
      *y = v;
    }
  }
  if (c.epilogue == PackedEpilogue::kGelu)
    for (int o0 = 0; o0 < w.n; o0 += kPanelWidth) gelu_panel(c, 0, c.rows, o0, std::min(kPanelWidth, w.n - o0));
}

#ifdef FENLEI_X86

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // clang has no -Wmaybe-uninitialized (and no such false positive)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define FENLEI_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

namespace {

FENLEI_BF16_TARGET inline __m512bh as_bh(__m512i v) { return reinterpret_cast<__m512bh&>(v); }

template <int MR>
FENLEI_BF16_TARGET void tile(const PackedBf16Call& c, int r0, int panel) {
  const PackedBf16& w = *c.w;
  const uint16_t* wp = panel_at(w, panel);
  const uint16_t* xr[MR];
  for (int i = 0; i < MR; ++i) xr[i] = c.x + static_cast<long>(r0 + i) * c.ldx;
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int q = 0; q < w.kp / 2; ++q) {
    const __m512bh w0 = as_bh(_mm512_loadu_si512(wp + static_cast<size_t>(q) * 2 * kPanelWidth));
    const __m512bh w1 = as_bh(_mm512_loadu_si512(wp + static_cast<size_t>(q) * 2 * kPanelWidth + 32));
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      int32_t pair;
      std::memcpy(&pair, xr[i] + 2 * q, sizeof(pair));
      const __m512bh xv = as_bh(_mm512_set1_epi32(pair));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], xv, w0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], xv, w1);
    }
  }
  const int o0 = panel * kPanelWidth;
  const int nvalid = std::min(kPanelWidth, w.n - o0);
  const __mmask16 lo = nvalid >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << nvalid) - 1u);
  const __mmask16 hi = nvalid >= 32 ? 0xFFFF
                       : nvalid > 16 ? static_cast<__mmask16>((1u << (nvalid - 16)) - 1u)
                                     : 0;
  __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
  if (c.bias) {
    b0 = _mm512_maskz_loadu_ps(lo, c.bias + o0);
    b1 = _mm512_maskz_loadu_ps(hi, c.bias + o0 + 16);
  }
  for (int i = 0; i < MR; ++i) {
    float* y = c.y + static_cast<long>(r0 + i) * c.ldy + o0;
    __m512 v0 = acc[i][0], v1 = acc[i][1];
    if (c.bias) {
      v0 = _mm512_add_ps(v0, b0);
      v1 = _mm512_add_ps(v1, b1);
    }
    if (c.epilogue == PackedEpilogue::kAccumulate) {
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(lo, y), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(hi, y + 16), v1);
    }
    _mm512_mask_storeu_ps(y, lo, v0);
    _mm512_mask_storeu_ps(y + 16, hi, v1);
  }
  if (c.epilogue == PackedEpilogue::kGelu) gelu_panel(c, r0, MR, o0, nvalid);
}

template <int MR>
void dispatch(const PackedBf16Call& c, int r0, int rows, int panel) {
  if constexpr (MR > 1) {
    if (rows < MR) return dispatch<MR - 1>(c, r0, rows, panel);
  }
  tile<MR>(c, r0, panel);
}

}  // namespace

// Panels outer, balanced row blocks of up to 12 inner, as packed_f32_avx512.
void packed_bf16_avx512bf16(const PackedBf16Call& c) {
  const int blocks = (c.rows + 11) / 12;
  for (int panel = 0; panel < panel_count(c.w->n); ++panel) {
    int r0 = 0;
    for (int b = 0; b < blocks; ++b) {
      const int n = (c.rows - r0 + (blocks - b) - 1) / (blocks - b);
      dispatch<12>(c, r0, n, panel);
      r0 += n;
    }
  }
}

#pragma GCC diagnostic pop

#else

void packed_bf16_avx512bf16(const PackedBf16Call& c) { packed_bf16_ref(c); }

#endif

PackedBf16Fn best_packed_bf16() {
  static const PackedBf16Fn fn = std::string(quant::best_dense_bf16_name()) == "avx512bf16"
                                     ? packed_bf16_avx512bf16
                                     : packed_bf16_ref;
  return fn;
}

}  // namespace fenlei::transformer
