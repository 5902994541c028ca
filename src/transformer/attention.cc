#include "transformer/attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "base/avx512_warnings.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fenlei::transformer {
namespace {

constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;  // ln 2 = hi + lo
constexpr float kExpP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                            4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
constexpr float kExpMin = -87.0f, kExpMax = 88.0f;

// Lanes of the softmax sum, reduced by halving: the order both paths share.
float reduce_lanes16(float* lane) {
  for (int half = 8; half >= 1; half /= 2)
    for (int i = 0; i < half; ++i) lane[i] = lane[i] + lane[i + half];
  return lane[0];
}

}  // namespace

float exp_poly(float x) {
  x = std::min(std::max(x, kExpMin), kExpMax);
  const float n = std::nearbyint(x * kLog2e);
  float r = std::fma(-n, kLn2Hi, x);
  r = std::fma(-n, kLn2Lo, r);
  float p = kExpP[0];
  for (int i = 1; i < 6; ++i) p = std::fma(p, r, kExpP[i]);
  const float y = std::fma(p, r * r, r) + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float two_n;
  std::memcpy(&two_n, &bits, sizeof two_n);
  return y * two_n;
}

void softmax_rows_ref(float* s, int rows, int len, int ld, float scale) {
  for (int r = 0; r < rows; ++r) {
    float* v = s + static_cast<long>(r) * ld;
    const float mx = *std::max_element(v, v + len);
    float lane[16] = {};
    for (int j = 0; j < len; ++j) {
      v[j] = exp_poly((v[j] - mx) * scale);
      lane[j % 16] = lane[j % 16] + v[j];
    }
    const float inv = 1.0f / reduce_lanes16(lane);
    for (int j = 0; j < len; ++j) v[j] = v[j] * inv;
  }
}

#if defined(__x86_64__)

FENLEI_AVX512_INTRINSICS_BEGIN

namespace {

__attribute__((target("avx512f"))) inline __m512 exp_poly16(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(kExpMin)), _mm512_set1_ps(kExpMax));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kExpP[0]);
  for (int i = 1; i < 6; ++i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP[i]));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

inline __mmask16 tail_mask(int len, int j) {
  return len - j >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (len - j)) - 1u);
}

// R rows at once, each computed exactly as softmax_rows_ref computes it: a row's max, sum and
// scaling are chains of dependent operations (~200 cycles a 128-wide row), so interleaving R
// independent rows keeps the vector units busy where one row would wait on latency.
template <int R>
__attribute__((target("avx512f"))) inline void softmax_block_avx512(float* s, int len, int ld,
                                                                    __m512 vscale) {
  float* v[R];
  __m512 vmax[R], mx[R], sum[R], inv[R];
  for (int r = 0; r < R; ++r) {
    v[r] = s + static_cast<long>(r) * ld;
    vmax[r] = _mm512_set1_ps(v[r][0]);
  }
  for (int j = 0; j < len; j += 16) {
    const __mmask16 m = tail_mask(len, j);
    for (int r = 0; r < R; ++r)
      vmax[r] = _mm512_mask_max_ps(vmax[r], m, vmax[r], _mm512_maskz_loadu_ps(m, v[r] + j));
  }
  for (int r = 0; r < R; ++r) {
    mx[r] = _mm512_set1_ps(_mm512_reduce_max_ps(vmax[r]));
    sum[r] = _mm512_setzero_ps();
  }
  for (int j = 0; j < len; j += 16) {
    const __mmask16 m = tail_mask(len, j);
    for (int r = 0; r < R; ++r) {
      const __m512 e =
          exp_poly16(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, v[r] + j), mx[r]), vscale));
      _mm512_mask_storeu_ps(v[r] + j, m, e);
      sum[r] = _mm512_mask_add_ps(sum[r], m, sum[r], e);
    }
  }
  for (int r = 0; r < R; ++r) {
    alignas(64) float lane[16];
    _mm512_store_ps(lane, sum[r]);
    inv[r] = _mm512_set1_ps(1.0f / reduce_lanes16(lane));
  }
  for (int j = 0; j < len; j += 16) {
    const __mmask16 m = tail_mask(len, j);
    for (int r = 0; r < R; ++r)
      _mm512_mask_storeu_ps(v[r] + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, v[r] + j), inv[r]));
  }
}

__attribute__((target("avx512f"))) void softmax_rows_avx512(float* s, int rows, int len, int ld,
                                                            float scale) {
  const __m512 vscale = _mm512_set1_ps(scale);
  int r = 0;
  for (; r + 4 <= rows; r += 4) softmax_block_avx512<4>(s + static_cast<long>(r) * ld, len, ld, vscale);
  for (; r < rows; ++r) softmax_block_avx512<1>(s + static_cast<long>(r) * ld, len, ld, vscale);
}

}  // namespace

FENLEI_AVX512_INTRINSICS_END

#endif

void softmax_rows(float* s, int rows, int len, int ld, float scale) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) {
    softmax_rows_avx512(s, rows, len, ld, scale);
    return;
  }
#endif
  softmax_rows_ref(s, rows, len, ld, scale);
}

void attend_heads(PackedF32Fn fn, const float* qkv, int len, int query_rows, int hidden,
                  int heads, int h_begin, int h_end, float* ctx, AttentionScratch* s) {
  const int d = hidden / heads;
  const int stride = 3 * hidden;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  s->scores.resize(static_cast<size_t>(query_rows) * len);
  for (int h = h_begin; h < h_end; ++h) {
    pack_f32_into(qkv + hidden + h * d, len, d, stride, &s->keys);
    PackedCall qk;
    qk.x = qkv + h * d;
    qk.rows = query_rows;
    qk.ldx = stride;
    qk.w = &s->keys;
    qk.y = s->scores.data();
    qk.ldy = len;
    fn(qk);
    softmax_rows(s->scores.data(), query_rows, len, len, scale);
    pack_f32_transposed_into(qkv + 2 * hidden + h * d, d, len, stride, &s->values);
    PackedCall pv;
    pv.x = s->scores.data();
    pv.rows = query_rows;
    pv.ldx = len;
    pv.w = &s->values;
    pv.y = ctx + h * d;
    pv.ldy = hidden;
    fn(pv);
  }
}

}  // namespace fenlei::transformer
