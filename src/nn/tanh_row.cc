#include "nn/tanh_row.h"

#include "nn/fast_math.h"
#include "nn/fast_math_avx2.h"

namespace fenlei::nn {
namespace {

void tanh_row_ref(const float* x, float* y, int n) {
  for (int j = 0; j < n; ++j) y[j] = fast_tanh(x[j]);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) void tanh_row_avx2(const float* x, float* y, int n) {
  int j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(y + j, fast_tanh8(_mm256_loadu_ps(x + j)));
  tanh_row_ref(x + j, y + j, n - j);
}
#endif

}  // namespace

void tanh_row(const float* x, float* y, int n) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return tanh_row_avx2(x, y, n);
#endif
  tanh_row_ref(x, y, n);
}

}  // namespace fenlei::nn
