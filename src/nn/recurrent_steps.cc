#include "nn/recurrent_steps.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fenlei::nn {
namespace {

constexpr int kGemvBlock = 64;  // columns per block of the packed layout (8 AVX registers)

// One block of `width` columns, stored [K, width]: y[j] = init[j] + sum_k x[k] * block[k, j].
void gemv_block_ref(const float* x, int K, const float* block, int width, const float* init,
                    float* y) {
  for (int j = 0; j < width; ++j) {
    float acc = init[j];
    for (int k = 0; k < K; ++k) acc += x[k] * block[size_t(k) * size_t(width) + j];
    y[j] = acc;
  }
}

#if defined(__x86_64__)
// A full block: eight independent FMA chains (hiding the FMA latency), its K x 64 floats read
// front to back once, so the hardware prefetcher streams them from L2.
__attribute__((target("avx2,fma"))) void gemv_packed_avx2(const float* x, int K,
                                                           const float* packed, int n,
                                                           const float* init, float* y) {
  constexpr int kLanes = 8, kRegs = kGemvBlock / kLanes;
  int j = 0;
  for (; j + kGemvBlock <= n; j += kGemvBlock) {
    __m256 acc[kRegs];
    for (int b = 0; b < kRegs; ++b) acc[b] = _mm256_loadu_ps(init + j + kLanes * b);
    const float* r = packed + size_t(j) * size_t(K);
    for (int k = 0; k < K; ++k, r += kGemvBlock) {
      const __m256 xk = _mm256_set1_ps(x[k]);
      for (int b = 0; b < kRegs; ++b)
        acc[b] = _mm256_fmadd_ps(xk, _mm256_loadu_ps(r + kLanes * b), acc[b]);
    }
    for (int b = 0; b < kRegs; ++b) _mm256_storeu_ps(y + j + kLanes * b, acc[b]);
  }
  if (j < n) gemv_block_ref(x, K, packed + size_t(j) * size_t(K), n - j, init + j, y + j);
}
#endif

using GemvFn = void (*)(const float*, int, const float*, int, const float*, float*);

GemvFn best_gemv() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return gemv_packed_avx2;
#endif
  return gemv_packed_ref;
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

void gemv_packed_ref(const float* x, int K, const float* packed, int n, const float* init,
                     float* y) {
  for (int j = 0; j < n; j += kGemvBlock) {
    const int width = std::min(kGemvBlock, n - j);
    gemv_block_ref(x, K, packed + size_t(j) * size_t(K), width, init + j, y + j);
  }
}

void gemv_packed(const float* x, int K, const float* packed, int n, const float* init, float* y) {
  static const GemvFn fn = best_gemv();
  fn(x, K, packed, n, init, y);
}

std::vector<float> pack_for_gemv(const float* w, int n, int K) {
  std::vector<float> p(size_t(n) * size_t(K));
  for (int j0 = 0; j0 < n; j0 += kGemvBlock) {
    const int width = std::min(kGemvBlock, n - j0);
    float* block = p.data() + size_t(j0) * size_t(K);
    for (int k = 0; k < K; ++k)
      for (int j = 0; j < width; ++j)
        block[size_t(k) * size_t(width) + j] = w[size_t(j0 + j) * size_t(K) + k];
  }
  return p;
}

}  // namespace fenlei::nn
