#include "nn/recurrent_steps.h"

#include <cblas.h>

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fenlei::nn {
namespace {

// Columns [0, cols) of the product, w_t's rows `stride` floats apart.
void gemv_columns(const float* x, int K, const float* w_t, int stride, int cols,
                  const float* init, float* y) {
  for (int j = 0; j < cols; ++j) {
    float acc = init[j];
    for (int k = 0; k < K; ++k) acc += x[k] * w_t[size_t(k) * size_t(stride) + j];
    y[j] = acc;
  }
}

#if defined(__x86_64__)
// 8 vectors of 8 outputs per pass down w_t: eight independent FMA chains hide the FMA latency,
// and each row slice of w_t is read once per step.
__attribute__((target("avx2,fma"))) void gemv_transposed_avx2(const float* x, int K,
                                                               const float* w_t, int n,
                                                               const float* init, float* y) {
  constexpr int kLanes = 8, kBlock = 8;
  int j = 0;
  for (; j + kLanes * kBlock <= n; j += kLanes * kBlock) {
    __m256 acc[kBlock];
    for (int b = 0; b < kBlock; ++b) acc[b] = _mm256_loadu_ps(init + j + kLanes * b);
    for (int k = 0; k < K; ++k) {
      const __m256 xk = _mm256_set1_ps(x[k]);
      const float* r = w_t + size_t(k) * size_t(n) + j;
      for (int b = 0; b < kBlock; ++b)
        acc[b] = _mm256_fmadd_ps(xk, _mm256_loadu_ps(r + kLanes * b), acc[b]);
    }
    for (int b = 0; b < kBlock; ++b) _mm256_storeu_ps(y + j + kLanes * b, acc[b]);
  }
  for (; j + kLanes <= n; j += kLanes) {
    __m256 acc = _mm256_loadu_ps(init + j);
    for (int k = 0; k < K; ++k)
      acc = _mm256_fmadd_ps(_mm256_set1_ps(x[k]), _mm256_loadu_ps(w_t + size_t(k) * size_t(n) + j),
                            acc);
    _mm256_storeu_ps(y + j, acc);
  }
  gemv_columns(x, K, w_t + j, n, n - j, init + j, y + j);
}
#endif

using GemvFn = void (*)(const float*, int, const float*, int, const float*, float*);

GemvFn best_gemv() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return gemv_transposed_avx2;
#endif
  return gemv_transposed_ref;
}

}  // namespace

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

void gemv_transposed_ref(const float* x, int K, const float* w_t, int n, const float* init,
                         float* y) {
  gemv_columns(x, K, w_t, n, n, init, y);
}

void gemv_transposed(const float* x, int K, const float* w_t, int n, const float* init, float* y) {
  static const GemvFn fn = best_gemv();
  fn(x, K, w_t, n, init, y);
}

std::vector<float> transposed(const float* w, int n, int k) {
  std::vector<float> t(size_t(n) * size_t(k));
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < k; ++c) t[size_t(c) * size_t(n) + r] = w[size_t(r) * size_t(k) + c];
  return t;
}

}  // namespace fenlei::nn
