// bfloat16 dense kernels: weights stored as bf16 (the top 16 bits of a float, rounded to
// nearest even), activations rounded to bf16 at run time, products accumulated in float by
// AVX512-BF16's vdpbf16ps, with a scalar reference the fast path equals bit for bit.
//
// The reference follows the instructions' definitions (Intel SDM, VCVTNEPS2BF16 / VDPBF16PS):
// - conversion rounds to nearest even; denormal inputs become zero of the same sign (DAZ);
// - vdpbf16ps, lane l of a 32-element chunk of k: acc += x[2l+1] * w[2l+1], then
//   acc += x[2l] * w[2l], each one float rounding (a bf16 x bf16 product is exact in float, so
//   each step is a fused multiply-add), denormal results flushed to zero (FTZ);
// - an output's 16 lanes start at +0 and are summed as dense_kernels does (halving: lane i +=
//   lane i + 8, + 4, + 2, + 1), then v = sum + bias, v = y + v when accumulating.
// The test holds the hardware to this definition on this CPU; where it runs on a CPU without
// AVX512-BF16 only the reference runs.
#pragma once

#include <cstdint>
#include <vector>

namespace fenlei::quant {

uint16_t float_to_bf16(float f);
float bf16_to_float(uint16_t b);
// Rounds n floats to bf16 (reference, and the AVX512-BF16 version equal to it).
void floats_to_bf16_ref(const float* x, long n, uint16_t* out);
void floats_to_bf16_avx512bf16(const float* x, long n, uint16_t* out);
void floats_to_bf16(const float* x, long n, uint16_t* out);  // the best for this CPU

struct Bf16DenseCall {
  const uint16_t* x = nullptr;  // rows x k bf16, row stride ldx
  int rows = 0, ldx = 0;
  const uint16_t* w = nullptr;  // n x k bf16, row stride ldw ([out][in] as torch stores it)
  int n = 0, k = 0, ldw = 0;
  const float* bias = nullptr;  // n, or nullptr
  float* y = nullptr;           // rows x n float, row stride ldy
  int ldy = 0;
  bool accumulate = false;
};

using Bf16DenseFn = void (*)(const Bf16DenseCall& c);
void dense_bf16_ref(const Bf16DenseCall& c);
void dense_bf16_avx512bf16(const Bf16DenseCall& c);

bool cpu_has_avx512bf16();

// AVX512-BF16 when the CPU has it, else the reference (slow: the bf16 path is meant for CPUs
// with the instruction). FENLEI_BF16_KERNEL=ref forces the reference.
Bf16DenseFn best_dense_bf16();
const char* best_dense_bf16_name();

}  // namespace fenlei::quant
