// What every packed dense kernel (packed_dense.h float, packed_bf16.h, packed_int8.h) shares,
// written once: the panel range a call covers, the loop over panels and balanced row blocks that
// picks a tile of the right height, the scalar references' loop with its residual/store/GELU
// epilogue, and (x86) the masks of a panel's valid outputs and the float kernels' AVX-512
// epilogue. Each kernel supplies only what differs: its accumulation, and for int8 the scaling.
//
// A Call is PackedCall, PackedBf16Call or PackedInt8Call: x, rows, w (with n), y, ldy, epilogue,
// panel_begin, panel_end (bias where the helper reads it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "base/avx512_warnings.h"
#include "transformer/erf_rational.h"
#include "transformer/layers.h"
#include "transformer/packed_dense.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace fenlei::transformer::packed {

inline int panel_count(int n) { return (n + kPanelWidth - 1) / kPanelWidth; }

// The panels c covers: [*begin, *end) (panel_end < 0: to the last).
template <typename Call>
void panel_range(const Call& c, int* begin, int* end) {
  const int panels = panel_count(c.w->n);
  *end = c.panel_end < 0 ? panels : std::min(c.panel_end, panels);
  *begin = std::clamp(c.panel_begin, 0, *end);
}

// How many of the 32 outputs of the panel starting at output o0 exist.
inline int panel_outputs(int n, int o0) { return std::min(kPanelWidth, n - o0); }

// GELU (erf) over the stored outputs [o0, o0 + nvalid) of rows [r0, r0 + rows): every kernel's
// last step with PackedEpilogue::kGelu, panel by panel.
template <typename Call>
void gelu_rows(const Call& c, int r0, int rows, int o0, int nvalid) {
  for (int r = r0; r < r0 + rows; ++r)
    activate(hf::Activation::kGeluErf, c.y + static_cast<long>(r) * c.ldy + o0, nvalid);
}

// The scalar references' loop over rows and the call's outputs: value(r, o) is output o of row r
// before the residual (bias included); then y = y + v (kAccumulate) or y = v, then GELU per panel.
template <typename Call, typename Value>
void reference_loop(const Call& c, Value&& value) {
  int pb, pe;
  panel_range(c, &pb, &pe);
  const int o_begin = pb * kPanelWidth, o_end = std::min(c.w->n, pe * kPanelWidth);
  for (int r = 0; r < c.rows; ++r)
    for (int o = o_begin; o < o_end; ++o) {
      float v = value(r, o);
      float* y = c.y + static_cast<long>(r) * c.ldy + o;
      if (c.epilogue == PackedEpilogue::kAccumulate) v = *y + v;
      *y = v;
    }
  if (c.epilogue == PackedEpilogue::kGelu)
    for (int o0 = o_begin; o0 < o_end; o0 += kPanelWidth)
      gelu_rows(c, 0, c.rows, o0, panel_outputs(c.w->n, o0));
}

template <int MR, typename Tile>
void dispatch_rows(int rows, Tile& tile, int r0, int panel) {
  if constexpr (MR > 1) {
    if (rows < MR) return dispatch_rows<MR - 1>(rows, tile, r0, panel);
  }
  tile(std::integral_constant<int, MR>{}, r0, panel);
}

// The fast kernels' loop: panels outer (each read from memory once; the row blocks after the
// first find it in L2), rows split into blocks of at most MaxRows as evenly as possible (45
// rows, 12: 12 + 11 + 11 + 11, so no block runs with a handful of rows).
// tile(std::integral_constant<int, MR>, r0, panel) computes rows [r0, r0 + MR) of one panel.
template <int MaxRows, typename Call, typename Tile>
void for_each_tile(const Call& c, Tile&& tile) {
  int pb, pe;
  panel_range(c, &pb, &pe);
  const int blocks = (c.rows + MaxRows - 1) / MaxRows;
  for (int panel = pb; panel < pe; ++panel) {
    int r0 = 0;
    for (int b = 0; b < blocks; ++b) {
      const int n = (c.rows - r0 + (blocks - b) - 1) / (blocks - b);
      dispatch_rows<MaxRows>(n, tile, r0, panel);
      r0 += n;
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)

// Masks of a panel's valid outputs: the low and the high 16.
struct PanelMasks {
  __mmask16 lo, hi;
};
inline PanelMasks panel_masks(int nvalid) {
  const uint32_t all = nvalid >= kPanelWidth ? 0xFFFFFFFFu : (1u << nvalid) - 1u;
  return {static_cast<__mmask16>(all & 0xFFFFu), static_cast<__mmask16>(all >> 16)};
}

// GCC 12 reports the _mm512_undefined_ps() merge source inside _mm512_min_ps/_mm512_max_ps (GELU's
// clamp, inlined here) as uninitialised: a false positive, as in the kernels' own files.
FENLEI_AVX512_INTRINSICS_BEGIN

// The float kernels' (float and bf16) epilogue for MR rows x one panel of float accumulators:
// v = acc + bias (if any); v = y + v (kAccumulate); GELU (kGelu); store.
template <int MR, typename Call>
__attribute__((target("avx512f"))) void store_f32_tile_avx512(const Call& c, const __m512 (&acc)[MR][2],
                                                              int r0, int panel) {
  const int o0 = panel * kPanelWidth;
  const int nvalid = panel_outputs(c.w->n, o0);
  const PanelMasks m = panel_masks(nvalid);
  // A whole panel's GELU is activate()'s over its 32 stored values, two gelu_erf16 (layers.cc),
  // so it runs on the registers before the store: 2 MR independent vectors whose latencies
  // overlap, where GELU over the stored rows ran 2 at a time, a call a row (~4 % of
  // ELECTRA-small's time). A partial panel takes activate() itself (its tail is not 16-wide).
  const bool gelu_in_registers = c.epilogue == PackedEpilogue::kGelu && nvalid == kPanelWidth;
  __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
  if (c.bias) {
    b0 = _mm512_maskz_loadu_ps(m.lo, c.bias + o0);
    b1 = _mm512_maskz_loadu_ps(m.hi, c.bias + o0 + 16);
  }
  for (int i = 0; i < MR; ++i) {
    float* y = c.y + static_cast<long>(r0 + i) * c.ldy + o0;
    __m512 v0 = acc[i][0], v1 = acc[i][1];
    if (c.bias) {
      v0 = _mm512_add_ps(v0, b0);
      v1 = _mm512_add_ps(v1, b1);
    }
    if (c.epilogue == PackedEpilogue::kAccumulate) {
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m.lo, y), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m.hi, y + 16), v1);
    }
    if (gelu_in_registers) {
      v0 = gelu_erf16(v0);
      v1 = gelu_erf16(v1);
    }
    _mm512_mask_storeu_ps(y, m.lo, v0);
    _mm512_mask_storeu_ps(y + 16, m.hi, v1);
  }
  if (c.epilogue == PackedEpilogue::kGelu && !gelu_in_registers) gelu_rows(c, r0, MR, o0, nvalid);
}

FENLEI_AVX512_INTRINSICS_END

#endif

}  // namespace fenlei::transformer::packed
