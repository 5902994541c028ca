// y[j] = fast_tanh(x[j]) for j < n: eight lanes at a time where the CPU has AVX2
// (fast_math_avx2.h: the scalar values lane for lane; GCC leaves the scalar loop unvectorised
// under -ftrapping-math). Used by attention pooling and rcnn's projection at inference.
#pragma once

namespace fenlei::nn {

void tanh_row(const float* x, float* y, int n);  // y may alias x

}  // namespace fenlei::nn
