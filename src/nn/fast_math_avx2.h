// fast_math.h's exp / sigmoid / tanh eight floats at a time, for the inference kernels of the
// recurrent presets (the one-text gate loops, attention pooling). The same operations in the
// same order, no fused multiply-adds, so each lane equals the scalar function bit for bit.
// Why intrinsics: under GCC's default -ftrapping-math the scalar forms' clamps count as control
// flow and their loops stay scalar. Callers dispatch on __builtin_cpu_supports("avx2").
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

namespace fenlei::nn {

__attribute__((target("avx2"))) inline __m256 fast_exp8(__m256 x) {
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));  // as x > -87 ? x : -87 (x not NaN)
  x = _mm256_min_ps(x, _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_sub_ps(
      _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), magic), magic);
  __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f)));
  r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(-2.12194440e-4f)));
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(
      _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r), _mm256_set1_ps(1.0f));
  const __m256i bits =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2"))) inline __m256 fast_sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 neg = _mm256_xor_ps(x, _mm256_set1_ps(-0.0f));
  return _mm256_div_ps(one, _mm256_add_ps(one, fast_exp8(neg)));
}

__attribute__((target("avx2"))) inline __m256 fast_tanh8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = fast_exp8(_mm256_mul_ps(_mm256_set1_ps(2.0f), x));
  return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
}

// The AVX2 form of a kernel where the CPU has AVX2, else the fallback.
template <typename Fn>
Fn avx2_or(Fn avx2, Fn fallback) {
  return __builtin_cpu_supports("avx2") ? avx2 : fallback;
}

}  // namespace fenlei::nn
#endif
