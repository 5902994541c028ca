// Float dense kernels for inference on weights exactly as torch stores them ([out][in], row
// major): y[r][o] = sum_k x[r][k] w[o][k] (+ b[o]) (+ y[r][o] when accumulating).
//
// Why not OpenBLAS sgemm: it re-packs the weight matrix on every call, which for a text of ~45
// rows cost as much as the arithmetic. These kernels read the weights where they are (nothing is
// packed, so no second copy of the model is held): each output is a dot product along k,
// vectorised over k, 4 rows x 4 outputs at a time so every loaded vector feeds four FMAs.
//
// The order of the arithmetic is defined so that every fast path equals its scalar reference
// bit for bit: an output's k terms are split over L lanes (term k goes to lane k % L), each lane
// accumulates in order with a fused multiply-add starting at +0, the lanes are summed by halving
// (lane i += lane i + L/2, down to one), then v = sum + b[o], v = y + v. No multiply outside
// the FMAs, so a compiler's FMA contraction cannot change the result. L is 16 for
// AVX-512 and 8 for AVX2; dense_f32_ref(lanes, ...) computes either order.
#pragma once

namespace fenlei::transformer {

struct DenseCall {
  const float* x = nullptr;  // rows x k, row stride ldx
  int rows = 0, ldx = 0;
  const float* w = nullptr;  // n x k, row stride ldw
  int n = 0, k = 0, ldw = 0;
  const float* bias = nullptr;  // n, or nullptr
  float* y = nullptr;  // rows x n, row stride ldy
  int ldy = 0;
  bool accumulate = false;  // y += result instead of y = result
};

using DenseF32Fn = void (*)(const DenseCall& c);

void dense_f32_ref(int lanes, const DenseCall& c);
void dense_f32_ref16(const DenseCall& c);  // the AVX-512 order
void dense_f32_ref8(const DenseCall& c);   // the AVX2 order
void dense_f32_avx512(const DenseCall& c);
void dense_f32_avx2(const DenseCall& c);

bool cpu_has_avx512f();
bool cpu_has_avx2_fma();

// The best kernel for this CPU, chosen once; FENLEI_F32_KERNEL=ref|avx2|avx512 overrides it
// (benchmarks; an unsupported choice falls back to the best available).
DenseF32Fn best_dense_f32();
const char* best_dense_f32_name();

}  // namespace fenlei::transformer
