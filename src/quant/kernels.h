// int8 matrix kernels for quantised inference: dynamic per-row activation quantisation and the
// u8 x s8 -> s32 GEMM, with a scalar reference and CPU-specific fast paths (AVX2, AVX-512 VNNI)
// chosen at run time. Every fast path matches the reference exactly (integer accumulation).
#pragma once

#include <cstdint>
#include <vector>

namespace fenlei::quant {

// Activations are stored as u8 = q + 128 (q in [-127, 127]) because VNNI's vpdpbusd multiplies
// unsigned by signed bytes; the +128 is removed with a precomputed weight column sum.
constexpr int kActivationZero = 128;

// Rows of activations padded to a multiple of 4 bytes (one vpdpbusd lane).
inline int padded_k(int k) { return (k + 3) / 4 * 4; }

// Quantises each row of x [m, k] symmetrically: scale[i] = amax/127 (1 when amax == 0) and
// q = round-to-nearest-even(x * 127/amax), written as u8 q+128 into q[i*kp ...]; columns
// [k, kp) get 128 (zero).
// The scalar reference and AVX2 / AVX-512 versions (8 / 16 floats per instruction; vcvtps2dq
// rounds like the reference) that equal it bit for bit; quantize_rows_u8 runs the best for this CPU
// (the AVX-512 one needs AVX-512BW as well).
void quantize_rows_u8(const float* x, int m, int k, int kp, uint8_t* q, float* scale);
void quantize_rows_u8_ref(const float* x, int m, int k, int kp, uint8_t* q, float* scale);
void quantize_rows_u8_avx2(const float* x, int m, int k, int kp, uint8_t* q, float* scale);
void quantize_rows_u8_avx512(const float* x, int m, int k, int kp, uint8_t* q, float* scale);

// The window rows of a width-3 conv quantised as quantize_rows_u8 quantises them, without
// writing them as floats first: row r of the windows of x [rows, ch] is [relu(x[r-1]) |
// relu(x[r]) | relu(x[r+1])], a neighbour outside r's text (row_start[0..count]: text i has
// rows [row_start[i], row_start[i+1])) read as zeros; written into q [rows, kp] (kp >= 3 ch,
// 128 past 3 ch) and scale [rows]. Equal bit for bit to writing those rows (nn's im2col) and
// running quantize_rows_u8 over them: the maximum is exact in any order and every value goes
// through the same multiply, rounding and clamp. The reference builds each row and calls
// quantize_rows_u8_ref; the AVX-512 version (needs AVX-512BW) takes each input row's maximum
// once and quantises the three parts from x in place.
void quantize_windows3_relu_u8(const float* x, int ch, const int32_t* row_start, int count, int kp,
                               uint8_t* q, float* scale);
void quantize_windows3_relu_u8_ref(const float* x, int ch, const int32_t* row_start, int count,
                                   int kp, uint8_t* q, float* scale);
void quantize_windows3_relu_u8_avx512(const float* x, int ch, const int32_t* row_start, int count,
                                      int kp, uint8_t* q, float* scale);

// Weights [n, k] in int8 prepared for the GEMM: the row-major original (reference), the
// column sums for the +128 correction, and a VNNI-friendly layout of 16 output channels x 4
// k-bytes per 64-byte block ([n/16][kp/4][16][4], zero-padded).
struct PackedWeights {
  int n = 0, k = 0, kp = 0, n_blocks = 0;
  std::vector<int8_t> rows;      // [n, kp], zero-padded
  std::vector<int32_t> colsum;   // [n_blocks*16]: sum over k of w[j, :]
  std::vector<int8_t> blocked;   // [n_blocks, kp/4, 16, 4]
};
PackedWeights pack_weights(const int8_t* w, int n, int k);

// c[m, n] = sum_p (a[i, p] - 128) * w[j, p] with a [m, kp] u8 (padded with 128) and w packed.
using GemmFn = void (*)(const uint8_t* a, int m, const PackedWeights& w, int32_t* c);
void gemm_u8s8_ref(const uint8_t* a, int m, const PackedWeights& w, int32_t* c);
void gemm_u8s8_avx2(const uint8_t* a, int m, const PackedWeights& w, int32_t* c);
void gemm_u8s8_avx512vnni(const uint8_t* a, int m, const PackedWeights& w, int32_t* c);

// The same product for few rows (a recurrence's step over one text): each row a matrix-vector
// product with four weight blocks in flight, so the vpdpbusd chains overlap (the GEMM keeps one
// chain per row and block, and with m < 8 its accumulators leave the registers). Exact, so
// equal to gemm_u8s8_ref.
void gemv_u8s8_avx512vnni(const uint8_t* a, int m, const PackedWeights& w, int32_t* c);

bool cpu_has_avx2();
bool cpu_has_avx512vnni();

// The best kernel for this CPU, chosen once. FENLEI_INT8_KERNEL=ref|avx2|avx512vnni overrides
// it (benchmarks and debugging; an unsupported choice falls back to the best available).
GemmFn best_gemm();
const char* best_gemm_name();
// For m < 8 rows: gemv_u8s8_avx512vnni where best_gemm is the VNNI kernel, else best_gemm.
GemmFn best_gemv();

}  // namespace fenlei::quant
