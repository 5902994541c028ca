// int8 row sums (see row_sum.h).
#include "quant/row_sum.h"

#include <algorithm>
#include <cstddef>

#include "quant/kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fenlei::quant {
namespace {

constexpr int kAhead = 4;  // rows prefetched ahead (as nn::mean_embed_forward)

void prefetch_row(const int8_t* table, int dim, int32_t id) {
  const char* p = reinterpret_cast<const char*>(table + size_t(id) * size_t(dim));
  for (int off = 0; off < dim; off += 64) __builtin_prefetch(p + off);
}

using SumFn = void (*)(const int8_t*, int, const int32_t*, int, int32_t*);

}  // namespace

void sum_rows_i8_ref(const int8_t* table, int dim, const int32_t* ids, int n, int32_t* acc) {
  for (int t = 0; t < std::min(kAhead, n); ++t) prefetch_row(table, dim, ids[t]);
  for (int t = 0; t < n; ++t) {
    if (t + kAhead < n) prefetch_row(table, dim, ids[t + kAhead]);
    const int8_t* row = table + size_t(ids[t]) * size_t(dim);
    for (int d = 0; d < dim; ++d) acc[d] += row[d];
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) void sum_rows_i8_avx2(const int8_t* table, int dim,
                                                      const int32_t* ids, int n, int32_t* acc) {
  // Up to 258 rows of |q| <= 127 fit an int16 lane (258 * 127 = 32766); flush every 256.
  constexpr int kFlush = 256;
  constexpr int kMaxChunks = 4096 / 16;
  const int chunks = std::min(dim / 16, kMaxChunks);
  const int vec_dims = chunks * 16;
  __m256i part[kMaxChunks];
  for (int t = 0; t < std::min(kAhead, n); ++t) prefetch_row(table, dim, ids[t]);
  for (int start = 0; start < n; start += kFlush) {
    const int end = std::min(n, start + kFlush);
    for (int c = 0; c < chunks; ++c) part[c] = _mm256_setzero_si256();
    for (int t = start; t < end; ++t) {
      if (t + kAhead < n) prefetch_row(table, dim, ids[t + kAhead]);
      const int8_t* row = table + size_t(ids[t]) * size_t(dim);
      for (int c = 0; c < chunks; ++c)
        part[c] = _mm256_add_epi16(part[c], _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                                reinterpret_cast<const __m128i*>(row + c * 16))));
      for (int d = vec_dims; d < dim; ++d) acc[d] += row[d];
    }
    for (int c = 0; c < chunks; ++c) {
      const __m256i lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(part[c]));
      const __m256i hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(part[c], 1));
      __m256i* a = reinterpret_cast<__m256i*>(acc + c * 16);
      _mm256_storeu_si256(a, _mm256_add_epi32(_mm256_loadu_si256(a), lo));
      _mm256_storeu_si256(a + 1, _mm256_add_epi32(_mm256_loadu_si256(a + 1), hi));
    }
  }
}
#else
void sum_rows_i8_avx2(const int8_t* table, int dim, const int32_t* ids, int n, int32_t* acc) {
  sum_rows_i8_ref(table, dim, ids, n, acc);
}
#endif

void sum_rows_i8(const int8_t* table, int dim, const int32_t* ids, int n, int32_t* acc) {
  static const SumFn fn = cpu_has_avx2() ? sum_rows_i8_avx2 : sum_rows_i8_ref;
  fn(table, dim, ids, n, acc);
}

}  // namespace fenlei::quant
