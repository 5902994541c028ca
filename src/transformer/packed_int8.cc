// Packed int8 dense kernels (see packed_int8.h).
#include "transformer/packed_int8.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "quant/kernels.h"
#include "transformer/layers.h"
#include "transformer/packed_driver.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FENLEI_X86 1
#endif

namespace fenlei::transformer {

namespace {

using packed::panel_count;

const int8_t* panel_at(const PackedInt8& p, int panel) {
  return p.panels.data() + static_cast<size_t>(panel) * p.kp * kPanelWidth;
}

size_t in_panel(int o, int i) {
  return (static_cast<size_t>(i / 4) * kPanelWidth + o % kPanelWidth) * 4 + i % 4;
}

}  // namespace

PackedInt8 pack_int8(const int8_t* w, int n, int k, int ldw) {
  PackedInt8 p;
  p.n = n;
  p.k = k;
  p.kp = quant::padded_k(k);
  p.panels.assign(static_cast<size_t>(panel_count(n)) * p.kp * kPanelWidth, 0);
  p.colsum.assign(static_cast<size_t>(panel_count(n)) * kPanelWidth, 0);
  for (int o = 0; o < n; ++o) {
    int8_t* dst = p.panels.data() + static_cast<size_t>(o / kPanelWidth) * p.kp * kPanelWidth;
    for (int i = 0; i < k; ++i) {
      const int8_t v = w[static_cast<long>(o) * ldw + i];
      dst[in_panel(o, i)] = v;
      p.colsum[o] += v;
    }
  }
  return p;
}

int8_t packed_int8_at(const PackedInt8& p, int o, int i) {
  return panel_at(p, o / kPanelWidth)[in_panel(o, i)];
}

void packed_int8_ref(const PackedInt8Call& c) {
  const PackedInt8& w = *c.w;
  packed::reference_loop(c, [&](int r, int o) {
    const uint8_t* x = c.x + static_cast<long>(r) * c.ldx;
    const int8_t* panel = panel_at(w, o / kPanelWidth);
    int32_t acc = 0;
    for (int i = 0; i < w.kp; ++i)
      acc += (int32_t(x[i]) - quant::kActivationZero) * int32_t(panel[in_panel(o, i)]);
    const float t = static_cast<float>(acc) * c.x_scale[r];
    return std::fma(t, c.w_scale[o], c.bias[o]);
  });
}

#ifdef FENLEI_X86

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // clang has no -Wmaybe-uninitialized (and no such false positive)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define FENLEI_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

namespace {

template <int MR>
FENLEI_VNNI_TARGET void tile(const PackedInt8Call& c, int r0, int panel) {
  const PackedInt8& w = *c.w;
  const int8_t* wp = panel_at(w, panel);
  const uint8_t* xr[MR];
  for (int i = 0; i < MR; ++i) xr[i] = c.x + static_cast<long>(r0 + i) * c.ldx;
  __m512i acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_si512();
  for (int q = 0; q < w.kp / 4; ++q) {
    const __m512i w0 = _mm512_loadu_si512(wp + static_cast<size_t>(q) * 4 * kPanelWidth);
    const __m512i w1 = _mm512_loadu_si512(wp + static_cast<size_t>(q) * 4 * kPanelWidth + 64);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      int32_t four;
      std::memcpy(&four, xr[i] + 4 * q, sizeof(four));
      const __m512i xv = _mm512_set1_epi32(four);
      acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], xv, w0);
      acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], xv, w1);
    }
  }
  const int o0 = panel * kPanelWidth;
  const int nvalid = packed::panel_outputs(w.n, o0);
  const packed::PanelMasks m = packed::panel_masks(nvalid);
  const __mmask16 lo = m.lo, hi = m.hi;
  const __m512i zero = _mm512_set1_epi32(quant::kActivationZero);
  const __m512i corr0 = _mm512_mullo_epi32(_mm512_loadu_si512(w.colsum.data() + o0), zero);
  const __m512i corr1 = _mm512_mullo_epi32(_mm512_loadu_si512(w.colsum.data() + o0 + 16), zero);
  const __m512 s0 = _mm512_maskz_loadu_ps(lo, c.w_scale + o0), s1 = _mm512_maskz_loadu_ps(hi, c.w_scale + o0 + 16);
  const __m512 b0 = _mm512_maskz_loadu_ps(lo, c.bias + o0), b1 = _mm512_maskz_loadu_ps(hi, c.bias + o0 + 16);
  for (int i = 0; i < MR; ++i) {
    float* y = c.y + static_cast<long>(r0 + i) * c.ldy + o0;
    const __m512 xs = _mm512_set1_ps(c.x_scale[r0 + i]);
    const __m512 t0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][0], corr0)), xs);
    const __m512 t1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][1], corr1)), xs);
    __m512 v0 = _mm512_fmadd_ps(t0, s0, b0), v1 = _mm512_fmadd_ps(t1, s1, b1);
    if (c.epilogue == PackedEpilogue::kAccumulate) {
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(lo, y), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(hi, y + 16), v1);
    }
    _mm512_mask_storeu_ps(y, lo, v0);
    _mm512_mask_storeu_ps(y + 16, hi, v1);
  }
  if (c.epilogue == PackedEpilogue::kGelu) packed::gelu_rows(c, r0, MR, o0, nvalid);
}

}  // namespace

// Row blocks of up to 8 (packed::for_each_tile). GCC 12 keeps at most 8 rows' 16 vpdpbusd
// accumulators in registers (with 12 it copies and spills them).
void packed_int8_avx512vnni(const PackedInt8Call& c) {
  packed::for_each_tile<8>(c, [&](auto mr, int r0, int panel) { tile<decltype(mr)::value>(c, r0, panel); });
}

#pragma GCC diagnostic pop

namespace {

// Without VNNI: the same integer sums in plain C++ over the panel layout, which GCC vectorises
// over the 32 outputs with AVX2 (16-bit products widened to int32: exact, so equal to the
// reference bit for bit). The epilogue is the reference's, element by element.
template <int MR>
__attribute__((target("avx2,fma"))) void tile_avx2(const PackedInt8Call& c, int r0, int panel) {
  const PackedInt8& w = *c.w;
  const int8_t* wp = panel_at(w, panel);
  int32_t acc[MR][kPanelWidth] = {};
  for (int q = 0; q < w.kp / 4; ++q) {
    const int8_t* wq = wp + static_cast<size_t>(q) * 4 * kPanelWidth;
    for (int i = 0; i < MR; ++i) {
      const uint8_t* x = c.x + static_cast<long>(r0 + i) * c.ldx + 4 * q;
      const int32_t x0 = x[0] - quant::kActivationZero, x1 = x[1] - quant::kActivationZero,
                    x2 = x[2] - quant::kActivationZero, x3 = x[3] - quant::kActivationZero;
      for (int j = 0; j < kPanelWidth; ++j)
        acc[i][j] += x0 * wq[4 * j] + x1 * wq[4 * j + 1] + x2 * wq[4 * j + 2] + x3 * wq[4 * j + 3];
    }
  }
  const int o0 = panel * kPanelWidth;
  const int nvalid = packed::panel_outputs(w.n, o0);
  for (int i = 0; i < MR; ++i) {
    float* y = c.y + static_cast<long>(r0 + i) * c.ldy + o0;
    for (int j = 0; j < nvalid; ++j) {
      const float t = static_cast<float>(acc[i][j]) * c.x_scale[r0 + i];
      float v = std::fma(t, c.w_scale[o0 + j], c.bias[o0 + j]);
      if (c.epilogue == PackedEpilogue::kAccumulate) v = y[j] + v;
      y[j] = v;
    }
  }
  if (c.epilogue == PackedEpilogue::kGelu) packed::gelu_rows(c, r0, MR, o0, nvalid);
}

}  // namespace

// Row blocks of up to 4 (exact integer sums: any split gives the same outputs).
void packed_int8_avx2(const PackedInt8Call& c) {
  packed::for_each_tile<4>(c, [&](auto mr, int r0, int panel) { tile_avx2<decltype(mr)::value>(c, r0, panel); });
}

#else

void packed_int8_avx512vnni(const PackedInt8Call& c) { packed_int8_ref(c); }
void packed_int8_avx2(const PackedInt8Call& c) { packed_int8_ref(c); }

#endif

namespace {

struct Choice {
  PackedInt8Fn fn;
  const char* name;
};

const Choice& choice() {
  static const Choice c = []() -> Choice {
    const char* env = std::getenv("FENLEI_INT8_KERNEL");
    const std::string want = env ? env : "";
    if (want == "ref") return {packed_int8_ref, "ref"};
    if (quant::cpu_has_avx512vnni() && want != "avx2") return {packed_int8_avx512vnni, "avx512vnni-packed"};
    if (quant::cpu_has_avx2()) return {packed_int8_avx2, "avx2-packed"};
    return {packed_int8_ref, "ref"};
  }();
  return c;
}

}  // namespace

PackedInt8Fn best_packed_int8() { return choice().fn; }
const char* best_packed_int8_name() { return choice().name; }

}  // namespace fenlei::transformer
