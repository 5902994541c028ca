#include "nn/recurrent_steps.h"

#include <cblas.h>

#include <cstring>

namespace fenlei::nn {

void fill_rows(const float* bias, int rows, int n, float* out) {
  for (int r = 0; r < rows; ++r) std::memcpy(out + size_t(r) * n, bias, sizeof(float) * size_t(n));
}

void project_rows(const float* x, int rows, int in, const float* w, const float* bias, int n,
                  float* out) {
  fill_rows(bias, rows, n, out);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, in, 1.0f, x, in, w, in, 1.0f, out,
              n);
}

void add_hidden_projection(const StepRows& st, const float* h, int H, const float* w_hh, int n,
                           float* out) {
  if (st.initial) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, st.count, n, H, 1.0f, h + size_t(st.prev) * H,
              H, w_hh, H, 1.0f, out + size_t(st.first) * n, n);
}

void hidden_projection_backward(const StepRows& st, const float* d, int n, const float* h, int H,
                                const float* w_hh, float* dh, float* dw_hh) {
  if (st.initial) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, st.count, H, n, 1.0f,
              d + size_t(st.first) * n, n, w_hh, H, 1.0f, dh + size_t(st.prev) * H, H);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, H, st.count, 1.0f,
              d + size_t(st.first) * n, n, h + size_t(st.prev) * H, H, 1.0f, dw_hh, H);
}

void add_column_sums(const float* d, int rows, int n, float* dbias) {
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < n; ++j) dbias[j] += d[size_t(r) * n + j];
}

void project_rows_backward(const float* d, int rows, int n, const float* x, int in, const float* w,
                           float* dw, float* dbias, float* dx) {
  if (dbias != nullptr) add_column_sums(d, rows, n, dbias);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, in, rows, 1.0f, d, n, x, in, 1.0f, dw,
              in);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, n, 1.0f, d, n, w, in, 0.0f, dx,
              in);
}

}  // namespace fenlei::nn
