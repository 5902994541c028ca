// Packed float dense kernels (see packed_dense.h). Fast paths use per-function target
// attributes, so the library runs on any x86-64.
#include "transformer/packed_dense.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "base/avx512_warnings.h"
#include "transformer/dense_kernels.h"
#include "transformer/layers.h"
#include "transformer/packed_driver.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FENLEI_X86 1
#endif

namespace fenlei::transformer {

namespace {

using packed::panel_count;

const float* panel_at(const PackedF32& p, int panel) {
  return p.panels.data() + static_cast<size_t>(panel) * p.k * kPanelWidth;
}

}  // namespace

void pack_f32_into(const float* w, int n, int k, int ldw, PackedF32* p) {
  p->n = n;
  p->k = k;
  // Every value is written below (the weights, and 0 past n), so the storage is not cleared
  // first: attention packs each head's keys per call.
  const int padded = panel_count(n) * kPanelWidth;
  p->panels.resize(static_cast<size_t>(padded) * k);
  for (int o = 0; o < padded; ++o) {
    float* dst = p->panels.data() + static_cast<size_t>(o / kPanelWidth) * k * kPanelWidth + o % kPanelWidth;
    if (o >= n) {
      for (int i = 0; i < k; ++i) dst[static_cast<size_t>(i) * kPanelWidth] = 0.0f;
      continue;
    }
    const float* src = w + static_cast<long>(o) * ldw;
    for (int i = 0; i < k; ++i) dst[static_cast<size_t>(i) * kPanelWidth] = src[i];
  }
}

PackedF32 pack_f32(const float* w, int n, int k, int ldw) {
  PackedF32 p;
  pack_f32_into(w, n, k, ldw, &p);
  return p;
}

void pack_f32_transposed_into(const float* t, int n, int k, int ldt, PackedF32* p) {
  p->n = n;
  p->k = k;
  p->panels.resize(static_cast<size_t>(panel_count(n)) * k * kPanelWidth);  // all written below
  for (int o0 = 0; o0 < n; o0 += kPanelWidth) {
    const int width = std::min(kPanelWidth, n - o0);
    float* dst = p->panels.data() + static_cast<size_t>(o0 / kPanelWidth) * k * kPanelWidth;
    for (int i = 0; i < k; ++i) {
      float* row = dst + static_cast<size_t>(i) * kPanelWidth;
      std::copy(t + static_cast<long>(i) * ldt + o0, t + static_cast<long>(i) * ldt + o0 + width, row);
      std::fill(row + width, row + kPanelWidth, 0.0f);
    }
  }
}

std::vector<float> unpack_f32(const PackedF32& p) {
  std::vector<float> w(static_cast<size_t>(p.n) * p.k);
  for (int o = 0; o < p.n; ++o) {
    const float* src = panel_at(p, o / kPanelWidth) + o % kPanelWidth;
    for (int i = 0; i < p.k; ++i) w[static_cast<size_t>(o) * p.k + i] = src[static_cast<size_t>(i) * kPanelWidth];
  }
  return w;
}

void packed_panel_range(const PackedCall& c, int* begin, int* end) { packed::panel_range(c, begin, end); }

void packed_f32_ref(const PackedCall& c) {
  const PackedF32& w = *c.w;
  packed::reference_loop(c, [&](int r, int o) {
    const float* x = c.x + static_cast<long>(r) * c.ldx;
    const float* col = panel_at(w, o / kPanelWidth) + o % kPanelWidth;
    float acc = 0.0f;
    for (int p = 0; p < w.k; ++p) acc = std::fma(x[p], col[static_cast<size_t>(p) * kPanelWidth], acc);
    return c.bias ? acc + c.bias[o] : acc;
  });
}

#ifdef FENLEI_X86

FENLEI_AVX512_INTRINSICS_BEGIN

namespace {

// MR rows x 32 outputs: 2 x MR accumulators, k rows of the panel streamed once.
template <int MR>
__attribute__((target("avx512f"))) void tile_avx512(const PackedCall& c, int r0, int panel) {
  const PackedF32& w = *c.w;
  const float* wp = panel_at(w, panel);
  // The next panel, prefetched into L2 while this one is computed: block b of B (of rows)
  // fetches its share b / B of the panel's lines, one line per step of p, so that the panels
  // stream from memory at an even rate over all the blocks. The call's last panel fetches the
  // next weights' (PackedCall::prefetch_next), not the neighbouring panel, which another thread
  // computes when the call is split.
  int pb, pe;
  packed::panel_range(c, &pb, &pe);
  const float* next_panel = wp;  // nothing next: a harmless prefetch of this panel
  if (panel + 1 < pe) {
    next_panel = wp + static_cast<size_t>(w.k) * kPanelWidth;
  } else if (c.prefetch_next && !c.prefetch_next->empty()) {
    const PackedF32& nw = *c.prefetch_next;
    const int first = static_cast<int>(static_cast<int64_t>(pb) * panel_count(nw.n) / panel_count(w.n));
    next_panel = panel_at(nw, std::min(first, panel_count(nw.n) - 1));
  }
  const char* next = reinterpret_cast<const char*>(next_panel);
  const int blocks = (c.rows + 11) / 12, block = r0 * blocks / c.rows;
  // Line of the next panel to fetch, in 1/65536ths (no division in the loop).
  long line = (static_cast<long>(block) * w.k * 2 << 16) / blocks;
  const long step = (2L << 16) / blocks;
  const float* xr[MR];
  for (int i = 0; i < MR; ++i) xr[i] = c.x + static_cast<long>(r0 + i) * c.ldx;
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int p = 0; p < w.k; ++p) {
    const __m512 w0 = _mm512_loadu_ps(wp + static_cast<size_t>(p) * kPanelWidth);
    const __m512 w1 = _mm512_loadu_ps(wp + static_cast<size_t>(p) * kPanelWidth + 16);
    _mm_prefetch(next + (line >> 16) * 64, _MM_HINT_T1);
    line += step;
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 xv = _mm512_set1_ps(xr[i][p]);
      acc[i][0] = _mm512_fmadd_ps(xv, w0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(xv, w1, acc[i][1]);
    }
  }
  packed::store_f32_tile_avx512<MR>(c, acc, r0, panel);
}

// AVX2: MR rows x 32 outputs as 4 x MR 8-wide accumulators (16 registers in all).
template <int MR>
__attribute__((target("avx2,fma"))) void tile_avx2(const PackedCall& c, int r0, int panel) {
  const PackedF32& w = *c.w;
  const float* wp = panel_at(w, panel);
  const float* xr[MR];
  for (int i = 0; i < MR; ++i) xr[i] = c.x + static_cast<long>(r0 + i) * c.ldx;
  __m256 acc[MR][4];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int p = 0; p < w.k; ++p) {
    const float* wr = wp + static_cast<size_t>(p) * kPanelWidth;
    __m256 xv[MR];
    for (int i = 0; i < MR; ++i) xv[i] = _mm256_broadcast_ss(xr[i] + p);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m256 wv = _mm256_loadu_ps(wr + 8 * j);
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm256_fmadd_ps(xv[i], wv, acc[i][j]);
    }
  }
  const int o0 = panel * kPanelWidth;
  const int nvalid = packed::panel_outputs(w.n, o0);
  for (int i = 0; i < MR; ++i) {
    alignas(32) float s[kPanelWidth];
    for (int j = 0; j < 4; ++j) _mm256_store_ps(s + 8 * j, acc[i][j]);
    float* y = c.y + static_cast<long>(r0 + i) * c.ldy + o0;
    if (nvalid == kPanelWidth) {
      for (int j = 0; j < 4; ++j) {
        __m256 v = _mm256_load_ps(s + 8 * j);
        if (c.bias) v = _mm256_add_ps(v, _mm256_loadu_ps(c.bias + o0 + 8 * j));
        if (c.epilogue == PackedEpilogue::kAccumulate) v = _mm256_add_ps(_mm256_loadu_ps(y + 8 * j), v);
        _mm256_storeu_ps(y + 8 * j, v);
      }
    } else {
      for (int j = 0; j < nvalid; ++j) {
        float v = s[j];
        if (c.bias) v = v + c.bias[o0 + j];
        if (c.epilogue == PackedEpilogue::kAccumulate) v = y[j] + v;
        y[j] = v;
      }
    }
  }
  if (c.epilogue == PackedEpilogue::kGelu) packed::gelu_rows(c, r0, MR, o0, nvalid);
}

}  // namespace

// Row blocks of up to 12 (24 accumulators of the 32 registers), see packed::for_each_tile.
void packed_f32_avx512(const PackedCall& c) {
  packed::for_each_tile<12>(c, [&](auto mr, int r0, int panel) { tile_avx512<decltype(mr)::value>(c, r0, panel); });
}

// Row blocks of up to 3 (12 of the 16 registers).
void packed_f32_avx2(const PackedCall& c) {
  packed::for_each_tile<3>(c, [&](auto mr, int r0, int panel) { tile_avx2<decltype(mr)::value>(c, r0, panel); });
}

FENLEI_AVX512_INTRINSICS_END

#else

void packed_f32_avx512(const PackedCall& c) { packed_f32_ref(c); }
void packed_f32_avx2(const PackedCall& c) { packed_f32_ref(c); }

#endif

PackedF32Fn best_packed_f32() {
  static const PackedF32Fn fn = [] {
    const std::string name = best_dense_f32_name();
    if (name == "avx512") return packed_f32_avx512;
    if (name == "avx2") return packed_f32_avx2;
    return packed_f32_ref;
  }();
  return fn;
}

}  // namespace fenlei::transformer
