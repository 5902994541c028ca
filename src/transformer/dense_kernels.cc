// Float dense kernels (see dense_kernels.h). The fast paths are compiled with per-function target
// attributes, so the library runs on any x86-64 and never executes an instruction the CPU lacks.
#include "transformer/dense_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/avx512_warnings.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FENLEI_X86 1
#endif

namespace fenlei::transformer {

namespace {

inline float epilogue(float sum, const DenseCall& c, int r, int o) {
  float v = sum;
  if (c.bias) v = v + c.bias[o];
  float* y = c.y + static_cast<long>(r) * c.ldy + o;
  if (c.accumulate) v = *y + v;
  return v;
}

}  // namespace

void dense_f32_ref(int lanes, const DenseCall& c) {
  float lane[16];
  for (int r = 0; r < c.rows; ++r) {
    const float* x = c.x + static_cast<long>(r) * c.ldx;
    for (int o = 0; o < c.n; ++o) {
      const float* w = c.w + static_cast<long>(o) * c.ldw;
      std::fill(lane, lane + lanes, 0.0f);
      for (int p = 0; p < c.k; ++p) lane[p % lanes] = std::fma(x[p], w[p], lane[p % lanes]);
      for (int half = lanes / 2; half >= 1; half /= 2)
        for (int i = 0; i < half; ++i) lane[i] = lane[i] + lane[i + half];
      c.y[static_cast<long>(r) * c.ldy + o] = epilogue(lane[0], c, r, o);
    }
  }
}

void dense_f32_ref16(const DenseCall& c) { dense_f32_ref(16, c); }
void dense_f32_ref8(const DenseCall& c) { dense_f32_ref(8, c); }

#ifdef FENLEI_X86

// GCC 12 reports the _mm512_undefined_ps() inside _mm512_shuffle_f32x4/_mm512_permute_ps as
// uninitialised (a false positive: the intrinsic's merge source is never read).
FENLEI_AVX512_INTRINSICS_BEGIN

namespace {

// Writes the four outputs [r][o0, o0+nvalid) from sums s[0..3] (already lane-reduced).
inline void store4(const DenseCall& c, int r, int o0, int nvalid, const float* s) {
  float* y = c.y + static_cast<long>(r) * c.ldy;
  for (int j = 0; j < nvalid; ++j) y[o0 + j] = epilogue(s[j], c, r, o0 + j);
}

// Sums the 16 lanes of each of a[0..3] in the tree order of dense_f32_ref(16): halves
// (i + 8), quarters (i + 4), pairs (i + 2), then the last two.
__attribute__((target("avx512f"))) inline void reduce4_avx512(const __m512* a, float* out) {
  // Stage 1, lane i + lane i+8: 256-bit halves of a and b side by side.
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a[0], a[1], 0x44),   // a0.q0 a0.q1 a1.q0 a1.q1
                                  _mm512_shuffle_f32x4(a[0], a[1], 0xEE));  // a0.q2 a0.q3 a1.q2 a1.q3
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(a[2], a[3], 0x44),
                                  _mm512_shuffle_f32x4(a[2], a[3], 0xEE));
  // Stage 2, lane i + lane i+4: quarter 0 + quarter 1 of each 8-lane half.
  const __m512 s4 = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88),   // ab.q0 ab.q2 cd.q0 cd.q2
                                  _mm512_shuffle_f32x4(ab, cd, 0xDD));  // ab.q1 ab.q3 cd.q1 cd.q3
  // Stages 3 and 4 inside each 128-bit quarter.
  const __m512 s2 = _mm512_add_ps(s4, _mm512_permute_ps(s4, 0xEE));
  const __m512 s1 = _mm512_add_ps(s2, _mm512_permute_ps(s2, 0x55));
  // Lanes 0, 4, 8, 12 hold the four sums.
  const __m512 packed = _mm512_permutexvar_ps(_mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 8, 4, 0), s1);
  _mm_storeu_ps(out, _mm512_castps512_ps128(packed));
}

// store4 for a full block, in SSE: the same additions as epilogue(), four at a time.
__attribute__((target("avx512f"))) inline void store4_full(const DenseCall& c, int r, int o0,
                                                           const float* s) {
  __m128 v = _mm_loadu_ps(s);
  if (c.bias) v = _mm_add_ps(v, _mm_loadu_ps(c.bias + o0));
  float* y = c.y + static_cast<long>(r) * c.ldy + o0;
  if (c.accumulate) v = _mm_add_ps(_mm_loadu_ps(y), v);
  _mm_storeu_ps(y, v);
}

// MR rows x 4 outputs, k vectorised 16 wide. Outputs past nvalid reuse the last valid weight
// row (their results are not stored).
template <int MR>
__attribute__((target("avx512f"))) void tile_avx512(const DenseCall& c, int r0, int o0,
                                                    int nvalid) {
  const float* xr[MR];
  const float* wr[4];
  for (int i = 0; i < MR; ++i) xr[i] = c.x + static_cast<long>(r0 + i) * c.ldx;
  for (int j = 0; j < 4; ++j) wr[j] = c.w + static_cast<long>(o0 + std::min(j, nvalid - 1)) * c.ldw;
  __m512 acc[MR][4];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = _mm512_setzero_ps();
  const int k16 = c.k / 16 * 16;
  int p = 0;
  for (; p < k16; p += 16) {
    __m512 xv[MR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) xv[i] = _mm512_loadu_ps(xr[i] + p);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m512 wv = _mm512_loadu_ps(wr[j] + p);
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm512_fmadd_ps(xv[i], wv, acc[i][j]);
    }
  }
  if (p < c.k) {
    const __mmask16 m = static_cast<__mmask16>((1u << (c.k - p)) - 1u);
    __m512 xv[MR];
    for (int i = 0; i < MR; ++i) xv[i] = _mm512_maskz_loadu_ps(m, xr[i] + p);
    for (int j = 0; j < 4; ++j) {
      const __m512 wv = _mm512_maskz_loadu_ps(m, wr[j] + p);
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm512_fmadd_ps(xv[i], wv, acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    float s[4];
    reduce4_avx512(acc[i], s);
    if (nvalid == 4) {
      store4_full(c, r0 + i, o0, s);
    } else {
      store4(c, r0 + i, o0, nvalid, s);
    }
  }
}

// Sums the 8 lanes of each of a[0..3] in the order of dense_f32_ref(8).
__attribute__((target("avx2,fma"))) inline void reduce4_avx2(const __m256* a, float* out) {
  const __m256 ab = _mm256_add_ps(_mm256_permute2f128_ps(a[0], a[1], 0x20),
                                  _mm256_permute2f128_ps(a[0], a[1], 0x31));
  const __m256 cd = _mm256_add_ps(_mm256_permute2f128_ps(a[2], a[3], 0x20),
                                  _mm256_permute2f128_ps(a[2], a[3], 0x31));
  const __m256 ab2 = _mm256_add_ps(ab, _mm256_permute_ps(ab, 0xEE));
  const __m256 cd2 = _mm256_add_ps(cd, _mm256_permute_ps(cd, 0xEE));
  const __m256 ab1 = _mm256_add_ps(ab2, _mm256_permute_ps(ab2, 0x55));
  const __m256 cd1 = _mm256_add_ps(cd2, _mm256_permute_ps(cd2, 0x55));
  alignas(32) float l0[8], l1[8];
  _mm256_store_ps(l0, ab1);
  _mm256_store_ps(l1, cd1);
  out[0] = l0[0];
  out[1] = l0[4];
  out[2] = l1[0];
  out[3] = l1[4];
}

template <int MR>
__attribute__((target("avx2,fma"))) void tile_avx2(const DenseCall& c, int r0, int o0,
                                                   int nvalid) {
  const float* xr[MR];
  const float* wr[4];
  for (int i = 0; i < MR; ++i) xr[i] = c.x + static_cast<long>(r0 + i) * c.ldx;
  for (int j = 0; j < 4; ++j) wr[j] = c.w + static_cast<long>(o0 + std::min(j, nvalid - 1)) * c.ldw;
  __m256 acc[MR][4];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = _mm256_setzero_ps();
  const int k8 = c.k / 8 * 8;
  int p = 0;
  for (; p < k8; p += 8) {
    __m256 xv[MR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) xv[i] = _mm256_loadu_ps(xr[i] + p);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m256 wv = _mm256_loadu_ps(wr[j] + p);
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm256_fmadd_ps(xv[i], wv, acc[i][j]);
    }
  }
  if (p < c.k) {
    alignas(32) int32_t bits[8];
    for (int l = 0; l < 8; ++l) bits[l] = p + l < c.k ? -1 : 0;
    const __m256i m = _mm256_load_si256(reinterpret_cast<const __m256i*>(bits));
    __m256 xv[MR];
    for (int i = 0; i < MR; ++i) xv[i] = _mm256_maskload_ps(xr[i] + p, m);
    for (int j = 0; j < 4; ++j) {
      const __m256 wv = _mm256_maskload_ps(wr[j] + p, m);
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm256_fmadd_ps(xv[i], wv, acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    float s[4];
    reduce4_avx2(acc[i], s);
    store4(c, r0 + i, o0, nvalid, s);
  }
}

}  // namespace

// Outputs in blocks of 4 (their weight rows stay in L1/L2 while every row block of x passes),
// rows in blocks of 4 (AVX-512: 16 accumulators) or 2 (AVX2: 8 of its 16 registers).
__attribute__((target("avx512f"))) void dense_f32_avx512(const DenseCall& c) {
  for (int o0 = 0; o0 < c.n; o0 += 4) {
    const int nvalid = std::min(4, c.n - o0);
    int r0 = 0;
    for (; r0 + 4 <= c.rows; r0 += 4) tile_avx512<4>(c, r0, o0, nvalid);
    switch (c.rows - r0) {
      case 3: tile_avx512<3>(c, r0, o0, nvalid); break;
      case 2: tile_avx512<2>(c, r0, o0, nvalid); break;
      case 1: tile_avx512<1>(c, r0, o0, nvalid); break;
      default: break;
    }
  }
}

__attribute__((target("avx2,fma"))) void dense_f32_avx2(const DenseCall& c) {
  for (int o0 = 0; o0 < c.n; o0 += 4) {
    const int nvalid = std::min(4, c.n - o0);
    int r0 = 0;
    for (; r0 + 2 <= c.rows; r0 += 2) tile_avx2<2>(c, r0, o0, nvalid);
    if (r0 < c.rows) tile_avx2<1>(c, r0, o0, nvalid);
  }
}

FENLEI_AVX512_INTRINSICS_END

bool cpu_has_avx512f() { return __builtin_cpu_supports("avx512f"); }
bool cpu_has_avx2_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

#else  // not x86: the references are the only kernels.

void dense_f32_avx512(const DenseCall& c) { dense_f32_ref16(c); }
void dense_f32_avx2(const DenseCall& c) { dense_f32_ref8(c); }
bool cpu_has_avx512f() { return false; }
bool cpu_has_avx2_fma() { return false; }

#endif

namespace {

struct Choice {
  DenseF32Fn fn;
  const char* name;
};

Choice choose() {
  const char* env = std::getenv("FENLEI_F32_KERNEL");
  const std::string want = env ? env : "";
  if (want == "ref") return {dense_f32_ref16, "ref"};
  if (want == "avx2" && cpu_has_avx2_fma()) return {dense_f32_avx2, "avx2"};
  if (cpu_has_avx512f() && (want.empty() || want == "avx512")) return {dense_f32_avx512, "avx512"};
  if (cpu_has_avx2_fma()) return {dense_f32_avx2, "avx2"};
  return {dense_f32_ref16, "ref"};
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

}  // namespace

DenseF32Fn best_dense_f32() { return choice().fn; }
const char* best_dense_f32_name() { return choice().name; }

}  // namespace fenlei::transformer
