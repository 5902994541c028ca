// Packed bf16 dense kernels (see packed_bf16.h).
#include "transformer/packed_bf16.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "quant/bf16.h"
#include "transformer/layers.h"
#include "transformer/packed_driver.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FENLEI_X86 1
#endif

namespace fenlei::transformer {

namespace {

using packed::panel_count;

const uint16_t* panel_at(const PackedBf16& p, int panel) {
  return p.panels.data() + static_cast<size_t>(panel) * p.kp * kPanelWidth;
}

// Index of w[o][i] inside its panel.
size_t in_panel(int o, int i) {
  return (static_cast<size_t>(i / 2) * kPanelWidth + o % kPanelWidth) * 2 + i % 2;
}

// The instruction's FTZ: a denormal result becomes zero of the same sign.
inline float flush(float v) { return std::fpclassify(v) == FP_SUBNORMAL ? std::copysign(0.0f, v) : v; }

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
  packed::reference_loop(c, [&](int r, int o) {
    const uint16_t* x = c.x + static_cast<long>(r) * c.ldx;
    const uint16_t* panel = panel_at(w, o / kPanelWidth);
    float acc = 0.0f;
    for (int i = 0; i < w.kp; i += 2) {
      const float x0 = quant::bf16_to_float(x[i]), x1 = quant::bf16_to_float(x[i + 1]);
      const float w0 = quant::bf16_to_float(panel[in_panel(o, i)]);
      const float w1 = quant::bf16_to_float(panel[in_panel(o, i + 1)]);
      acc = flush(std::fma(x1, w1, acc));
      acc = flush(std::fma(x0, w0, acc));
    }
    return c.bias ? acc + c.bias[o] : acc;
  });
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
  packed::store_f32_tile_avx512<MR>(c, acc, r0, panel);
}

}  // namespace

// Row blocks of up to 12, as packed_f32_avx512 (packed::for_each_tile).
void packed_bf16_avx512bf16(const PackedBf16Call& c) {
  packed::for_each_tile<12>(c, [&](auto mr, int r0, int panel) { tile<decltype(mr)::value>(c, r0, panel); });
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
