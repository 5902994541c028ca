// The rational erf that every exact-GELU path of the encoder shares (inference in layers.cc and
// the packed kernels' epilogue through it, training forward and backward in train_kernels.cc):
// one set of coefficients, so a GELU's derivative always matches the forward it differentiates.
//
// erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (beyond, erf is +-1 in float). A rational least-squares
// fit made for fenlei (numpy, 4,000 Chebyshev nodes, Loeb iterations); max error 3.6e-7 in float
// arithmetic. Unlike std::erf it has no branches or calls, so it vectorises.
//
// The scalar form evaluates with std::fma exactly the operations of the AVX-512 one, so the two
// equal each other bit for bit (a division-free 1 / Q, an integer first guess and three Newton
// steps, was tried in 2026-12 and dropped: on this Xeon it was 4 % slower than the vdivps, which
// overlaps with the polynomials' FMAs, so GELU is bound by its FMAs, not by the division).
#pragma once

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fenlei::transformer {

inline constexpr float kErfP[] = {-1.385830283e-08f, 4.818248657e-06f, 3.841561964e-04f,
                                  3.844400276e-03f,  5.436675285e-02f, 1.847193842e-01f,
                                  1.128379179e+00f};
inline constexpr float kErfQ[] = {6.437150661e-05f, 1.312579977e-03f, 1.546801157e-02f,
                                  1.138592730e-01f, 4.970368199e-01f, 1.0f};

inline float erf_rational(float x) {
  x = std::min(4.0f, std::max(-4.0f, x));
  const float z = x * x;
  float p = kErfP[0], q = kErfQ[0];
  for (int i = 1; i < 7; ++i) p = std::fma(p, z, kErfP[i]);
  for (int i = 1; i < 6; ++i) q = std::fma(q, z, kErfQ[i]);
  return (x * p) / q;
}

// Exact GELU of one float, 0.5 x (1 + erf(x / sqrt 2)): the scalar reference of gelu_erf16.
inline float gelu_erf1(float x) {
  return (0.5f * x) * (1.0f + erf_rational(x * 0.70710678118654752f));
}

#if defined(__x86_64__)
// The same, 16 at a time, with explicit FMAs (the result does not depend on the compiler's
// contraction); x is clamped to [-4, 4] here.
__attribute__((target("avx512f"))) inline __m512 erf_rational16(__m512 x) {
  const __m512 t = _mm512_min_ps(_mm512_set1_ps(4.0f), _mm512_max_ps(_mm512_set1_ps(-4.0f), x));
  const __m512 z = _mm512_mul_ps(t, t);
  __m512 p = _mm512_set1_ps(kErfP[0]), q = _mm512_set1_ps(kErfQ[0]);
  for (int k = 1; k < 7; ++k) p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(kErfP[k]));
  for (int k = 1; k < 6; ++k) q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kErfQ[k]));
  return _mm512_div_ps(_mm512_mul_ps(t, p), q);
}

// Exact GELU of 16 floats, 0.5 v (1 + erf(v / sqrt 2)): the one sequence of operations that the
// AVX-512 GELUs of inference share (layers.cc's activate, and the packed float and bf16 kernels'
// epilogue, which applies it to a tile still in registers), so that they agree bit for bit.
__attribute__((target("avx512f"))) inline __m512 gelu_erf16(__m512 v) {
  const __m512 erf = erf_rational16(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f)));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1.0f), erf));
}
#endif

}  // namespace fenlei::transformer
