#include "nn/tanh_row.h"

#include "base/avx512_warnings.h"
#include "nn/fast_math.h"
#include "nn/fast_math_avx2.h"

// (GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined operands.)
FENLEI_AVX512_INTRINSICS_BEGIN

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

// fast_exp8 / fast_tanh8 sixteen lanes wide: the same operations in the same order, no fused
// multiply-adds (this file is built with -ffp-contract=off: AVX-512F includes FMA, and GCC would
// otherwise fuse the products into the sums), so each lane is fast_tanh's value bit for bit.
// 2^n by vscalefps: n is an integer in [-126, 127], so y * 2^n is the product the scalar code
// forms with the power of two it builds from the exponent bits.
__attribute__((target("avx512f"))) inline __m512 fast_exp16(__m512 x) {
  const __m512 magic = _mm512_set1_ps(12582912.0f);
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  x = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_sub_ps(
      _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), magic), magic);
  __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
  r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(-2.12194440e-4f)));
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(
      _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}

__attribute__((target("avx512f"))) void tanh_row_avx512_impl(const float* x, float* y, int n) {
  const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f);
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 e = fast_exp16(_mm512_mul_ps(two, _mm512_loadu_ps(x + j)));
    _mm512_storeu_ps(y + j, _mm512_sub_ps(one, _mm512_div_ps(two, _mm512_add_ps(e, one))));
  }
  tanh_row_ref(x + j, y + j, n - j);
}
#endif

}  // namespace

void tanh_row(const float* x, float* y, int n) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx512) return tanh_row_avx512_impl(x, y, n);
  if (avx2) return tanh_row_avx2(x, y, n);
#endif
  tanh_row_ref(x, y, n);
}

void tanh_row_scalar(const float* x, float* y, int n) { tanh_row_ref(x, y, n); }

void tanh_row_avx512(const float* x, float* y, int n) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return tanh_row_avx512_impl(x, y, n);
#endif
  tanh_row_ref(x, y, n);
}

}  // namespace fenlei::nn

FENLEI_AVX512_INTRINSICS_END
