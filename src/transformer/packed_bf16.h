// bf16 dense layers on weights packed once into panels of 32 output columns, the outer-product
// layout of packed_dense.h for vdpbf16ps: a panel holds, for each pair of k (2q, 2q+1), the 32
// outputs' two weights side by side (64 bf16, one 512-bit load per 16 outputs), so that one
// broadcast of x[r][2q..2q+1] feeds two vdpbf16ps, and no output needs a lane sum.
//
// Order of the arithmetic (the scalar reference; the AVX512-BF16 kernel equals it bit for bit):
// acc = +0; for q = 0..kp/2-1: acc = ftz(fma(x[2q+1], w[2q+1], acc)), then
// acc = ftz(fma(x[2q], w[2q], acc)) (vdpbf16ps's order within a lane, quant/bf16.h; x and w are
// 0 past k; denormal x and w count as zeros (DAZ); ftz flushes a result tiny after rounding, as
// x86 does); then bias, residual and GELU as packed_dense.h.
//
// Two AVX-512 kernels equal it: vdpbf16ps (AVX512-BF16), and FMAs on the widened values
// (AVX-512F, with MXCSR's DAZ/FTZ), which is faster where vdpbf16ps has half the FMA throughput
// (Intel Sapphire/Emerald Rapids: 80-86 against 141-168 GFLOP/s for float).
#pragma once

#include <cstdint>
#include <vector>

#include "base/aligned_vector.h"

#include "transformer/packed_dense.h"

namespace fenlei::transformer {

struct PackedBf16 {
  int n = 0, k = 0;
  int kp = 0;                    // k rounded up to even
  CacheAlignedVector<uint16_t> panels;  // ceil(n / 32) panels of kp / 2 x 32 x 2 (64-byte aligned)
};

// w: n x k bf16 bits, row stride ldw.
PackedBf16 pack_bf16(const uint16_t* w, int n, int k, int ldw);
std::vector<uint16_t> unpack_bf16(const PackedBf16& p);  // n x k, exact

struct PackedBf16Call {
  const uint16_t* x = nullptr;  // rows x kp bf16 (0 past k), row stride ldx
  int rows = 0, ldx = 0;
  const PackedBf16* w = nullptr;
  const float* bias = nullptr;  // n, or nullptr
  float* y = nullptr;           // rows x n, row stride ldy
  int ldy = 0;
  PackedEpilogue epilogue = PackedEpilogue::kStore;
  // Only panels [panel_begin, panel_end) (panel_end < 0: to the last), as PackedCall.
  int panel_begin = 0, panel_end = -1;
};

using PackedBf16Fn = void (*)(const PackedBf16Call& c);
void packed_bf16_ref(const PackedBf16Call& c);
void packed_bf16_avx512bf16(const PackedBf16Call& c);  // vdpbf16ps (needs AVX512-BF16)
void packed_bf16_avx512fma(const PackedBf16Call& c);   // FMAs on widened values (needs AVX-512F)
// Chosen once per process: FENLEI_BF16_KERNEL=ref|dpbf16|fma forces one (where the CPU has it);
// otherwise, with AVX512-BF16, the faster of the two tiles on a ~0.2 ms timing of one panel
// (both give the same bits, so the choice never changes a result); AVX-512F alone: fma; else ref.
PackedBf16Fn best_packed_bf16();
const char* best_packed_bf16_name();  // "dpbf16", "fma" or "ref"

}  // namespace fenlei::transformer
