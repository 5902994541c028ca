// Float dense layers on weights packed once, at model load, into the layout the microkernel
// streams: panels of 32 output columns, each panel k rows of 32 contiguous floats
// (panel[p][j] = w[o0 + j][p], zero past n). A text of M tokens then runs as an outer product
// (M x 32 accumulators per panel, one broadcast of x[r][p] feeding two 16-wide FMAs), so:
// - no lane sum per output (dense_kernels' dot products pay one per output, most at k = 256);
// - each panel is read front to back, once from memory and again from L2 per block of rows;
// - nothing is packed per call.
// The packed copy replaces the [out][in] one (unpack_f32 restores it exactly), so the model is
// held once.
//
// Order of the arithmetic, which the scalar reference defines and every kernel equals bit for
// bit: acc = +0; for p = 0..k-1: acc = fma(x[r][p], w[o][p], acc); v = acc + bias[o] (if
// any); v = y[r][o] + v (accumulate); then GELU (erf) as activate() computes it, applied to the
// stored outputs of each 32-wide panel (so equal to activate() over the whole row when n is a
// multiple of 16).
#pragma once

#include <vector>

#include "base/aligned_vector.h"

namespace fenlei::transformer {

inline constexpr int kPanelWidth = 32;

struct PackedF32 {
  int n = 0, k = 0;
  CacheAlignedVector<float> panels;  // ceil(n / 32) panels of k x 32 (64-byte aligned)
  bool empty() const { return panels.empty(); }
};

// w: n x k, row stride ldw ([out][in] as torch stores nn.Linear).
PackedF32 pack_f32(const float* w, int n, int k, int ldw);
// The same into *p, reusing its storage (attention packs each head's keys and values per call).
void pack_f32_into(const float* w, int n, int k, int ldw, PackedF32* p);
// Packs W = T^T from t stored k-major (t[i * ldt + o] = w[o][i], i < k, o < n): each panel row
// is a contiguous copy of 32 floats of t (attention's values, len x d, as the products' weights).
void pack_f32_transposed_into(const float* t, int n, int k, int ldt, PackedF32* p);
// Back to [out][in], n x k (exact).
std::vector<float> unpack_f32(const PackedF32& p);

enum class PackedEpilogue { kStore, kAccumulate, kGelu };

struct PackedCall {
  const float* x = nullptr;  // rows x k, row stride ldx
  int rows = 0, ldx = 0;
  const PackedF32* w = nullptr;
  const float* bias = nullptr;  // n, or nullptr
  float* y = nullptr;           // rows x n, row stride ldy
  int ldy = 0;
  PackedEpilogue epilogue = PackedEpilogue::kStore;
  // Only panels [panel_begin, panel_end) (outputs 32 * panel_begin .. 32 * panel_end - 1);
  // panel_end < 0: to the last. Each output is computed the same way whatever the range, so
  // threads that split the panels (packed_parallel.h) write exactly what one call would.
  int panel_begin = 0, panel_end = -1;
  // The weights the caller runs next (nullptr: none): while the call's last panel is computed,
  // the kernels prefetch the first panel of these that the same share of the next call will
  // compute (panel panel_begin * next panels / this call's panels: 0 for a whole call, and for a
  // call split over threads the one that split_range gives the same thread next, up to rounding),
  // so the next call's first panel does not wait on memory (each later panel is prefetched
  // during the one before, within the call's own range).
  const PackedF32* prefetch_next = nullptr;
};

// The panels a call covers: [*begin, *end).
void packed_panel_range(const PackedCall& c, int* begin, int* end);

using PackedF32Fn = void (*)(const PackedCall& c);

void packed_f32_ref(const PackedCall& c);
void packed_f32_avx512(const PackedCall& c);
void packed_f32_avx2(const PackedCall& c);

// The best kernel for this CPU (FENLEI_F32_KERNEL=ref|avx2|avx512 as for dense_kernels).
PackedF32Fn best_packed_f32();

}  // namespace fenlei::transformer
