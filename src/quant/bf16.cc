// bfloat16 kernels (see bf16.h). The fast paths are compiled with per-function target
// attributes, so the library runs on any x86-64 and never executes an instruction the CPU lacks.
#include "quant/bf16.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/avx512_warnings.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FENLEI_X86 1
#endif

namespace fenlei::quant {

uint16_t float_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const uint32_t exponent = (bits >> 23) & 0xFFu, mantissa = bits & 0x7FFFFFu;
  if (exponent == 0) return static_cast<uint16_t>((bits >> 16) & 0x8000u);  // DAZ: +-0
  if (exponent == 0xFFu && mantissa != 0) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  const uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);  // to nearest, ties to even
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float dpbf16_step(float acc, float x, float w) {
  const float r = std::fma(x, w, acc);
  if (std::fpclassify(r) == FP_SUBNORMAL) return std::copysign(0.0f, r);
  if (std::fabs(r) == 0x1p-126f) {
    const double s = static_cast<double>(acc) + static_cast<double>(x) * static_cast<double>(w);
    if (std::fabs(s) < 0x1p-126 - 0x1p-151) return std::copysign(0.0f, r);
  }
  return r;
}

void floats_to_bf16_ref(const float* x, long n, uint16_t* out) {
  for (long i = 0; i < n; ++i) out[i] = float_to_bf16(x[i]);
}

namespace {

// Element p of a row of k, DAZ'd as the instruction reads it; zero past the end (the padding of
// the last 32-element chunk).
inline float at(const uint16_t* v, int p, int k) { return p < k ? bf16_daz(v[p]) : 0.0f; }

inline float epilogue(float sum, const Bf16DenseCall& c, int r, int o) {
  float v = sum;
  if (c.bias) v = v + c.bias[o];
  if (c.accumulate) v = c.y[static_cast<long>(r) * c.ldy + o] + v;
  return v;
}

}  // namespace

void dense_bf16_ref(const Bf16DenseCall& c) {
  float lane[16];
  for (int r = 0; r < c.rows; ++r) {
    const uint16_t* x = c.x + static_cast<long>(r) * c.ldx;
    for (int o = 0; o < c.n; ++o) {
      const uint16_t* w = c.w + static_cast<long>(o) * c.ldw;
      std::fill(lane, lane + 16, 0.0f);
      for (int p0 = 0; p0 < c.k; p0 += 32) {
        for (int l = 0; l < 16; ++l) {
          const int even = p0 + 2 * l, odd = even + 1;
          lane[l] = dpbf16_step(lane[l], at(x, odd, c.k), at(w, odd, c.k));
          lane[l] = dpbf16_step(lane[l], at(x, even, c.k), at(w, even, c.k));
        }
      }
      for (int half = 8; half >= 1; half /= 2)
        for (int i = 0; i < half; ++i) lane[i] = lane[i] + lane[i + half];
      c.y[static_cast<long>(r) * c.ldy + o] = epilogue(lane[0], c, r, o);
    }
  }
}

#ifdef FENLEI_X86

// GCC 12 reports the _mm512_undefined_ps() inside _mm512_shuffle_f32x4/_mm512_permute_ps as
// uninitialised (a false positive: the intrinsic's merge source is never read).
FENLEI_AVX512_INTRINSICS_BEGIN

#define FENLEI_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

FENLEI_BF16_TARGET void floats_to_bf16_avx512bf16(const float* x, long n, uint16_t* out) {
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(x + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), reinterpret_cast<const __m256i&>(v));
  }
  for (; i < n; ++i) out[i] = float_to_bf16(x[i]);
}

namespace {

// The 16 lanes of each of a[0..3] summed in the reference's order (see dense_kernels.cc).
FENLEI_BF16_TARGET inline void reduce4(const __m512* a, float* out) {
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a[0], a[1], 0x44),
                                  _mm512_shuffle_f32x4(a[0], a[1], 0xEE));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(a[2], a[3], 0x44),
                                  _mm512_shuffle_f32x4(a[2], a[3], 0xEE));
  const __m512 s4 = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88),
                                  _mm512_shuffle_f32x4(ab, cd, 0xDD));
  const __m512 s2 = _mm512_add_ps(s4, _mm512_permute_ps(s4, 0xEE));
  const __m512 s1 = _mm512_add_ps(s2, _mm512_permute_ps(s2, 0x55));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s1);
  out[0] = lanes[0];
  out[1] = lanes[4];
  out[2] = lanes[8];
  out[3] = lanes[12];
}

FENLEI_BF16_TARGET inline __m512bh as_bh(__m512i v) { return reinterpret_cast<__m512bh&>(v); }

// MR rows x 4 outputs, 32 k-elements (16 pairs) per vdpbf16ps.
template <int MR>
FENLEI_BF16_TARGET void tile(const Bf16DenseCall& c, int r0, int o0, int nvalid) {
  const uint16_t* xr[MR];
  const uint16_t* wr[4];
  for (int i = 0; i < MR; ++i) xr[i] = c.x + static_cast<long>(r0 + i) * c.ldx;
  for (int j = 0; j < 4; ++j) wr[j] = c.w + static_cast<long>(o0 + std::min(j, nvalid - 1)) * c.ldw;
  __m512 acc[MR][4];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = _mm512_setzero_ps();
  const int k32 = c.k / 32 * 32;
  int p = 0;
  for (; p < k32; p += 32) {
    __m512bh xv[MR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) xv[i] = as_bh(_mm512_loadu_si512(xr[i] + p));
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m512bh wv = as_bh(_mm512_loadu_si512(wr[j] + p));
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], xv[i], wv);
    }
  }
  if (p < c.k) {
    const __mmask32 m = static_cast<__mmask32>((1ull << (c.k - p)) - 1ull);
    __m512bh xv[MR];
    for (int i = 0; i < MR; ++i) xv[i] = as_bh(_mm512_maskz_loadu_epi16(m, xr[i] + p));
    for (int j = 0; j < 4; ++j) {
      const __m512bh wv = as_bh(_mm512_maskz_loadu_epi16(m, wr[j] + p));
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], xv[i], wv);
    }
  }
  for (int i = 0; i < MR; ++i) {
    float s[4];
    reduce4(acc[i], s);
    for (int j = 0; j < nvalid; ++j)
      c.y[static_cast<long>(r0 + i) * c.ldy + o0 + j] = epilogue(s[j], c, r0 + i, o0 + j);
  }
}

}  // namespace

FENLEI_BF16_TARGET void dense_bf16_avx512bf16(const Bf16DenseCall& c) {
  for (int o0 = 0; o0 < c.n; o0 += 4) {
    const int nvalid = std::min(4, c.n - o0);
    int r0 = 0;
    for (; r0 + 4 <= c.rows; r0 += 4) tile<4>(c, r0, o0, nvalid);
    switch (c.rows - r0) {
      case 3: tile<3>(c, r0, o0, nvalid); break;
      case 2: tile<2>(c, r0, o0, nvalid); break;
      case 1: tile<1>(c, r0, o0, nvalid); break;
      default: break;
    }
  }
}

FENLEI_AVX512_INTRINSICS_END

bool cpu_has_avx512bf16() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512bf16");
}

#else  // not x86: the reference is the only kernel.

void floats_to_bf16_avx512bf16(const float* x, long n, uint16_t* out) { floats_to_bf16_ref(x, n, out); }
void dense_bf16_avx512bf16(const Bf16DenseCall& c) { dense_bf16_ref(c); }
bool cpu_has_avx512bf16() { return false; }

#endif

namespace {

bool use_fast() {
  static const bool fast = [] {
    const char* env = std::getenv("FENLEI_BF16_KERNEL");
    return cpu_has_avx512bf16() && !(env && std::string(env) == "ref");
  }();
  return fast;
}

}  // namespace

void floats_to_bf16(const float* x, long n, uint16_t* out) {
  if (use_fast()) {
    floats_to_bf16_avx512bf16(x, n, out);
  } else {
    floats_to_bf16_ref(x, n, out);
  }
}

Bf16DenseFn best_dense_bf16() { return use_fast() ? dense_bf16_avx512bf16 : dense_bf16_ref; }
const char* best_dense_bf16_name() { return use_fast() ? "avx512bf16" : "ref"; }

}  // namespace fenlei::quant
