// int8 dense layers on weights packed once into panels of 32 output columns for AVX-512 VNNI:
// for each group of 4 k (4q..4q+3) a panel holds the 32 outputs' 4 weights side by side (128
// bytes, two vpdpbusd operands), so that one broadcast of 4 activation bytes feeds two vpdpbusd
// (the outer-product layout of packed_dense.h). Panels are read front to back, once from memory
// and again from L2 per block of up to 12 rows; the weights are held once (no row-major copy).
//
// Activations are u8 = q + 128 per row with a scale (quant::quantize_rows_u8); the +128 is taken
// off with each output's weight sum. Arithmetic (the scalar reference; every kernel equals it
// bit for bit): acc = sum_p (x[r][p] - 128) w[o][p] in int32 (exact); t = float(acc) * x_scale[r];
// v = fma(t, w_scale[o], bias[o]); then the residual (v = y + v) or GELU as packed_dense.h.
#pragma once

#include <cstdint>
#include <vector>

#include "base/aligned_vector.h"

#include "transformer/packed_dense.h"

namespace fenlei::transformer {

struct PackedInt8 {
  int n = 0, k = 0;
  int kp = 0;                   // k rounded up to a multiple of 4
  CacheAlignedVector<int8_t> panels;  // ceil(n / 32) panels of kp / 4 x 32 x 4, 0 past n and k
  std::vector<int32_t> colsum;  // ceil(n / 32) * 32: sum over k of w[o][:]
};

// w: n x k int8, row stride ldw.
PackedInt8 pack_int8(const int8_t* w, int n, int k, int ldw);
int8_t packed_int8_at(const PackedInt8& p, int o, int i);  // w[o][i]

struct PackedInt8Call {
  const uint8_t* x = nullptr;  // rows x kp u8 (128 past k), row stride ldx
  int rows = 0, ldx = 0;
  const float* x_scale = nullptr;  // rows
  const PackedInt8* w = nullptr;
  const float* w_scale = nullptr;  // n
  const float* bias = nullptr;     // n (required)
  float* y = nullptr;              // rows x n, row stride ldy
  int ldy = 0;
  PackedEpilogue epilogue = PackedEpilogue::kStore;
  // Only panels [panel_begin, panel_end) (panel_end < 0: to the last), as PackedCall.
  int panel_begin = 0, panel_end = -1;
};

using PackedInt8Fn = void (*)(const PackedInt8Call& c);
void packed_int8_ref(const PackedInt8Call& c);
void packed_int8_avx512vnni(const PackedInt8Call& c);
void packed_int8_avx2(const PackedInt8Call& c);  // CPUs without VNNI
// VNNI when the CPU has it, else AVX2, else the reference; FENLEI_INT8_KERNEL=ref|avx2 forces one.
PackedInt8Fn best_packed_int8();
const char* best_packed_int8_name();

}  // namespace fenlei::transformer
