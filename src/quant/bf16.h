// bfloat16 dense kernels: weights stored as bf16 (the top 16 bits of a float, rounded to
// nearest even), activations rounded to bf16 at run time, products accumulated in float by
// AVX512-BF16's vdpbf16ps, with a scalar reference the fast path equals bit for bit.
//
// The reference follows the instructions' definitions (Intel SDM, VCVTNEPS2BF16 / VDPBF16PS):
// - conversion rounds to nearest even; denormal inputs become zero of the same sign (DAZ);
// - vdpbf16ps, lane l of a 32-element chunk of k: acc += x[2l+1] * w[2l+1], then
//   acc += x[2l] * w[2l], each one float rounding (a bf16 x bf16 product is exact in float, so
//   each step is a fused multiply-add), denormal inputs read as zeros (DAZ) and tiny results
//   flushed to zero (FTZ): dpbf16_step below, shared with the encoders' packed bf16 reference;
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

// vdpbf16ps's DAZ: a denormal bf16 input is read as a zero of the same sign.
inline float bf16_daz(uint16_t b) {
  return (b & 0x7F80u) == 0 ? bf16_to_float(b & 0x8000u) : bf16_to_float(b);
}

// One of vdpbf16ps's steps on DAZ'd inputs: acc + x * w rounded once, with the instruction's FTZ
// as x86 does it (measured on AVX512-BF16 CPUs, and what MXCSR.FTZ does to an FMA): the result
// is flushed to a zero of its sign when it is tiny AFTER rounding to 24 bits with an unbounded
// exponent. std::fma rounds onto the denormal grid instead, so the two differ only when
// std::fma gives exactly +-2^-126: then the sum (exact in double: acc is 0 or normal, x * w has
// 16 significant bits, and a sum near 2^-126 spans at most ~45 bits) decides: kept when
// |sum| >= 2^-126 - 2^-151 (the tie rounds to the even 2^-126).
float dpbf16_step(float acc, float x, float w);
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
