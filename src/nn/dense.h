// Fast dense layer via cblas_sgemm; matches dense_forward_ref/dense_backward_ref.
#pragma once

namespace fenlei::nn {

// x:[n,in] w:[out,in] b:[out] -> y:[n,out] (overwritten).
void dense_forward(const float* x, int n, int in, const float* w, const float* b, int out,
                   float* y);
// Accumulates dw += dy^T x and db += colsum(dy); overwrites dx = dy w when dx is not null.
void dense_backward(const float* x, int n, int in, const float* w, int out, const float* dy,
                    float* dx, float* dw, float* db);

}  // namespace fenlei::nn
