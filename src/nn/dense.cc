// Dense layer kernels.
#include "nn/dense.h"

#include <cblas.h>

namespace fenlei::nn {

void dense_forward(const float* x, int n, int in, const float* w, const float* b, int out,
                   float* y) {
  if (n <= 0) return;
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < out; ++o) y[i * out + o] = b[o];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, 1.0f, y,
              out);
}

void dense_backward(const float* x, int n, int in, const float* w, int out, const float* dy,
                    float* dx, float* dw, float* db) {
  if (n <= 0) return;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in, 1.0f,
              dw, in);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < out; ++o) db[o] += dy[i * out + o];
  if (dx)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out, w, in, 0.0f,
                dx, in);
}

}  // namespace fenlei::nn
