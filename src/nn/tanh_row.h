// y[j] = fast_tanh(x[j]) for j < n: sixteen lanes at a time where the CPU has AVX-512F, eight
// where it has AVX2 (fast_math_avx2.h: the scalar values lane for lane; GCC leaves the scalar
// loop unvectorised under -ftrapping-math). Used by attention pooling and rcnn's projection.
#pragma once

namespace fenlei::nn {

void tanh_row(const float* x, float* y, int n);  // y may alias x

// For the tests: the scalar loop, and the AVX-512 rows (the scalar loop without AVX-512F).
void tanh_row_scalar(const float* x, float* y, int n);
void tanh_row_avx512(const float* x, float* y, int n);

}  // namespace fenlei::nn
