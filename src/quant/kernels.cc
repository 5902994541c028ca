// int8 kernels (see kernels.h). The fast paths are compiled with per-function target
// attributes, so the library runs on any x86-64 and never executes an instruction the CPU lacks.
#include "quant/kernels.h"

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

namespace {

// std::nearbyint(v) for |v| < 2^31 in the default rounding mode (nearest, ties to even): one
// cvtss2si (SSE, every x86-64) instead of a libm call per element on the baseline ISA, which
// cost ~2 µs per 300-feature row, as much as a textcnn's whole conv block.
inline int round_to_int(float v) {
#ifdef FENLEI_X86
  return _mm_cvtss_si32(_mm_set_ss(v));
#else
  return static_cast<int>(std::nearbyint(v));
#endif
}

}  // namespace

void quantize_rows_u8_ref(const float* x, int m, int k, int kp, uint8_t* q, float* scale) {
  for (int i = 0; i < m; ++i) {
    const float* xr = x + size_t(i) * k;
    uint8_t* qr = q + size_t(i) * kp;
    float amax = 0.0f;
    for (int p = 0; p < k; ++p) amax = std::max(amax, std::fabs(xr[p]));
    const float inv = amax > 0.0f ? 127.0f / amax : 1.0f;
    scale[i] = amax > 0.0f ? amax / 127.0f : 1.0f;
    for (int p = 0; p < k; ++p) {
      const int qi = std::min(127, std::max(-127, round_to_int(xr[p] * inv)));
      qr[p] = static_cast<uint8_t>(qi + kActivationZero);
    }
    for (int p = k; p < kp; ++p) qr[p] = kActivationZero;
  }
}

#ifdef FENLEI_X86
__attribute__((target("avx2"))) void quantize_rows_u8_avx2(const float* x, int m, int k, int kp,
                                                          uint8_t* q, float* scale) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const int k8 = k / 8 * 8;
  for (int i = 0; i < m; ++i) {
    const float* xr = x + size_t(i) * k;
    uint8_t* qr = q + size_t(i) * kp;
    __m256 vmax = _mm256_setzero_ps();
    for (int p = 0; p < k8; p += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(xr + p)));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, vmax);
    float amax = 0.0f;
    for (float v : lanes) amax = std::max(amax, v);
    for (int p = k8; p < k; ++p) amax = std::max(amax, std::fabs(xr[p]));
    const float inv = amax > 0.0f ? 127.0f / amax : 1.0f;
    scale[i] = amax > 0.0f ? amax / 127.0f : 1.0f;
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    const __m256i zero_point = _mm256_set1_epi32(kActivationZero);
    int p = 0;
    for (; p < k8; p += 8) {
      __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xr + p), vinv));
      v = _mm256_add_epi32(_mm256_min_epi32(hi, _mm256_max_epi32(lo, v)), zero_point);
      alignas(32) int32_t out[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(out), v);
      for (int l = 0; l < 8; ++l) qr[p + l] = static_cast<uint8_t>(out[l]);
    }
    for (; p < k; ++p) {
      const int qi = std::min(127, std::max(-127, round_to_int(xr[p] * inv)));
      qr[p] = static_cast<uint8_t>(qi + kActivationZero);
    }
    for (p = k; p < kp; ++p) qr[p] = kActivationZero;
  }
}

// 16 floats per instruction, the tail under a mask, and the bytes narrowed and stored by one
// vpmovdb (the AVX2 version stores them one at a time): a transformer's activations are
// quantised once per dense layer, 45 x 768 to 3072 floats a text. (GCC 12's AVX-512 headers
// trip -Wmaybe-uninitialized on their own _mm512_undefined operands.)
FENLEI_AVX512_INTRINSICS_BEGIN
namespace {
// Lanes `in` of v * vinv rounded to nearest, clamped to [-127, 127], +128, stored as u8: the
// quantisation step of every AVX-512 activation quantiser here, as the reference computes it.
__attribute__((target("avx512f,avx512bw"), always_inline)) inline void store_u8_lanes(
    __m512 v, __m512 vinv, __mmask16 in, uint8_t* dst) {
  __m512i t = _mm512_cvtps_epi32(_mm512_mul_ps(v, vinv));
  t = _mm512_min_epi32(_mm512_set1_epi32(127), _mm512_max_epi32(_mm512_set1_epi32(-127), t));
  _mm512_mask_cvtepi32_storeu_epi8(dst, in,
                                   _mm512_add_epi32(t, _mm512_set1_epi32(kActivationZero)));
}
}  // namespace

__attribute__((target("avx512f,avx512bw"))) void quantize_rows_u8_avx512(const float* x, int m,
                                                                         int k, int kp, uint8_t* q,
                                                                         float* scale) {
  for (int i = 0; i < m; ++i) {
    const float* xr = x + size_t(i) * k;
    uint8_t* qr = q + size_t(i) * kp;
    // Four running maxima (max is exact in any order), so that a row's 8 to 32 loads are not
    // one chain of dependent vmaxps: that chain was most of this function at k = 128..512.
    __m512 vmax[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                      _mm512_setzero_ps()};
    int p0 = 0;
    for (; p0 + 64 <= k; p0 += 64)
      for (int t = 0; t < 4; ++t)
        vmax[t] = _mm512_max_ps(vmax[t], _mm512_abs_ps(_mm512_loadu_ps(xr + p0 + 16 * t)));
    for (int p = p0; p < k; p += 16) {
      const __mmask16 in = k - p >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - p)) - 1u);
      vmax[0] = _mm512_max_ps(vmax[0], _mm512_abs_ps(_mm512_maskz_loadu_ps(in, xr + p)));
    }
    const float amax = _mm512_reduce_max_ps(
        _mm512_max_ps(_mm512_max_ps(vmax[0], vmax[1]), _mm512_max_ps(vmax[2], vmax[3])));
    const float inv = amax > 0.0f ? 127.0f / amax : 1.0f;
    scale[i] = amax > 0.0f ? amax / 127.0f : 1.0f;
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    // 64 values at a time narrowed in registers (vpackssdw, vpacksswb: q in [-127, 127] fits
    // without saturating; they interleave 128-bit lanes, which one vpermd puts back in order),
    // +128 as a sign-bit flip, one 64-byte store: 10-15 % faster than four masked vpmovdb
    // stores at k = 128..512 (the int8 transformer preset's rows).
    const __m512i lanes = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    int p = 0;
    for (; p + 64 <= k; p += 64) {
      __m512i v[4];
      for (int t = 0; t < 4; ++t) {
        const __m512 scaled = _mm512_mul_ps(_mm512_loadu_ps(xr + p + 16 * t), vinv);
        v[t] = _mm512_min_epi32(hi, _mm512_max_epi32(lo, _mm512_cvtps_epi32(scaled)));
      }
      const __m512i w =
          _mm512_packs_epi16(_mm512_packs_epi32(v[0], v[1]), _mm512_packs_epi32(v[2], v[3]));
      _mm512_storeu_si512(qr + p, _mm512_xor_si512(_mm512_permutexvar_epi32(lanes, w), flip));
    }
    for (; p < k; p += 16) {
      const __mmask16 in = k - p >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - p)) - 1u);
      store_u8_lanes(_mm512_maskz_loadu_ps(in, xr + p), vinv, in, qr + p);
    }
    for (p = k; p < kp; ++p) qr[p] = kActivationZero;
  }
}
namespace {
// max(0, max_c x[c]): the largest |relu(x)| of one input row. (vmaxps returns its second
// operand when either is NaN, so a NaN input leaves the running maximum as it was: the
// reference's relu makes it 0.)
__attribute__((target("avx512f"))) float relu_row_max(const float* x, int ch) {
  __m512 vmax[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  int c = 0;
  for (; c + 32 <= ch; c += 32) {
    vmax[0] = _mm512_max_ps(_mm512_loadu_ps(x + c), vmax[0]);
    vmax[1] = _mm512_max_ps(_mm512_loadu_ps(x + c + 16), vmax[1]);
  }
  for (; c < ch; c += 16) {
    const __mmask16 in = ch - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (ch - c)) - 1u);
    vmax[0] = _mm512_max_ps(_mm512_maskz_loadu_ps(in, x + c), vmax[0]);
  }
  return _mm512_reduce_max_ps(_mm512_max_ps(vmax[0], vmax[1]));
}

// q[c] = u8 of relu(x[c]) * inv as quantize_rows_u8_avx512 computes it (x null: zeros).
__attribute__((target("avx512f,avx512bw"))) void quantize_relu_part(const float* x, int ch,
                                                                    __m512 vinv, uint8_t* q) {
  if (x == nullptr) {
    std::memset(q, kActivationZero, size_t(ch));
    return;
  }
  for (int c = 0; c < ch; c += 16) {
    const __mmask16 in = ch - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (ch - c)) - 1u);
    // max(v, 0) returns its second operand, +0, for v = -0 or NaN: the reference's
    // v > 0 ? v : 0.
    store_u8_lanes(_mm512_max_ps(_mm512_maskz_loadu_ps(in, x + c), _mm512_setzero_ps()), vinv, in,
                   q + c);
  }
}
}  // namespace

__attribute__((target("avx512f,avx512bw"))) void quantize_windows3_relu_u8_avx512(
    const float* x, int ch, const int32_t* row_start, int count, int kp, uint8_t* q,
    float* scale) {
  for (int i = 0; i < count; ++i) {
    const int r0 = row_start[i], r1 = row_start[i + 1];
    float prev = 0.0f, cur = r0 < r1 ? relu_row_max(x + size_t(r0) * ch, ch) : 0.0f;
    for (int r = r0; r < r1; ++r) {
      const float next = r + 1 < r1 ? relu_row_max(x + size_t(r + 1) * ch, ch) : 0.0f;
      const float amax = std::max(prev, std::max(cur, next));
      const float inv = amax > 0.0f ? 127.0f / amax : 1.0f;
      scale[r] = amax > 0.0f ? amax / 127.0f : 1.0f;
      const __m512 vinv = _mm512_set1_ps(inv);
      uint8_t* qr = q + size_t(r) * kp;
      quantize_relu_part(r > r0 ? x + size_t(r - 1) * ch : nullptr, ch, vinv, qr);
      quantize_relu_part(x + size_t(r) * ch, ch, vinv, qr + ch);
      quantize_relu_part(r + 1 < r1 ? x + size_t(r + 1) * ch : nullptr, ch, vinv, qr + 2 * ch);
      for (int p = 3 * ch; p < kp; ++p) qr[p] = kActivationZero;
      prev = cur;
      cur = next;
    }
  }
}
FENLEI_AVX512_INTRINSICS_END
#else
void quantize_rows_u8_avx2(const float* x, int m, int k, int kp, uint8_t* q, float* scale) {
  quantize_rows_u8_ref(x, m, k, kp, q, scale);
}
void quantize_rows_u8_avx512(const float* x, int m, int k, int kp, uint8_t* q, float* scale) {
  quantize_rows_u8_ref(x, m, k, kp, q, scale);
}
void quantize_windows3_relu_u8_avx512(const float* x, int ch, const int32_t* row_start, int count,
                                      int kp, uint8_t* q, float* scale) {
  quantize_windows3_relu_u8_ref(x, ch, row_start, count, kp, q, scale);
}
#endif

void quantize_rows_u8(const float* x, int m, int k, int kp, uint8_t* q, float* scale) {
  static const bool avx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx512)
    quantize_rows_u8_avx512(x, m, k, kp, q, scale);
  else if (avx2)
    quantize_rows_u8_avx2(x, m, k, kp, q, scale);
  else
    quantize_rows_u8_ref(x, m, k, kp, q, scale);
}

void quantize_windows3_relu_u8_ref(const float* x, int ch, const int32_t* row_start, int count,
                                   int kp, uint8_t* q, float* scale) {
  std::vector<float> row(size_t(3) * ch);
  for (int i = 0; i < count; ++i) {
    const int r0 = row_start[i], r1 = row_start[i + 1];
    for (int r = r0; r < r1; ++r) {
      for (int j = 0; j < 3; ++j) {
        const int src = r - 1 + j;
        float* dst = row.data() + size_t(j) * ch;
        for (int c = 0; c < ch; ++c) {
          const float v = src < r0 || src >= r1 ? 0.0f : x[size_t(src) * ch + c];
          dst[c] = v > 0.0f ? v : 0.0f;
        }
      }
      quantize_rows_u8_ref(row.data(), 1, 3 * ch, kp, q + size_t(r) * kp, scale + r);
    }
  }
}


void quantize_windows3_relu_u8(const float* x, int ch, const int32_t* row_start, int count, int kp,
                               uint8_t* q, float* scale) {
  static const bool avx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  if (avx512)
    quantize_windows3_relu_u8_avx512(x, ch, row_start, count, kp, q, scale);
  else
    quantize_windows3_relu_u8_ref(x, ch, row_start, count, kp, q, scale);
}

PackedWeights pack_weights(const int8_t* w, int n, int k) {
  PackedWeights p;
  p.n = n;
  p.k = k;
  p.kp = padded_k(k);
  p.n_blocks = (n + 15) / 16;
  p.rows.assign(size_t(n) * p.kp, 0);
  p.colsum.assign(size_t(p.n_blocks) * 16, 0);
  p.blocked.assign(size_t(p.n_blocks) * p.kp * 16, 0);
  const int groups = p.kp / 4;
  for (int j = 0; j < n; ++j) {
    int32_t sum = 0;
    for (int c = 0; c < k; ++c) {
      const int8_t v = w[size_t(j) * k + c];
      p.rows[size_t(j) * p.kp + c] = v;
      sum += v;
      const int block = j / 16, lane = j % 16, g = c / 4, r = c % 4;
      p.blocked[((size_t(block) * groups + g) * 16 + lane) * 4 + r] = v;
    }
    p.colsum[size_t(j)] = sum;
  }
  return p;
}

// The definition, written as plainly as possible: no +128 trick.
void gemm_u8s8_ref(const uint8_t* a, int m, const PackedWeights& w, int32_t* c) {
  for (int i = 0; i < m; ++i) {
    const uint8_t* ar = a + size_t(i) * w.kp;
    for (int j = 0; j < w.n; ++j) {
      const int8_t* wr = w.rows.data() + size_t(j) * w.kp;
      int32_t acc = 0;
      for (int p = 0; p < w.k; ++p) acc += (int32_t(ar[p]) - kActivationZero) * int32_t(wr[p]);
      c[size_t(i) * w.n + j] = acc;
    }
  }
}

#ifdef FENLEI_X86

// AVX2: u8 and s8 widened to s16, vpmaddwd (exact: |255 * 127 * 2| fits s32), 16 bytes of k per
// step, four output channels at a time to reuse the activation load.
__attribute__((target("avx2"))) void gemm_u8s8_avx2(const uint8_t* a, int m,
                                                    const PackedWeights& w, int32_t* c) {
  const int kp = w.kp;
  const int k16 = kp / 16 * 16;
  for (int i = 0; i < m; ++i) {
    const uint8_t* ar = a + size_t(i) * kp;
    int j = 0;
    for (; j + 4 <= w.n; j += 4) {
      const int8_t* w0 = w.rows.data() + size_t(j) * kp;
      __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
      for (int p = 0; p < k16; p += 16) {
        const __m256i av =
            _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ar + p)));
#define FENLEI_W16(r) \
  _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w0 + size_t(r) * kp + p)))
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(av, FENLEI_W16(0)));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(av, FENLEI_W16(1)));
        acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(av, FENLEI_W16(2)));
        acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(av, FENLEI_W16(3)));
#undef FENLEI_W16
      }
      // Horizontal sums through memory: no vector-returning helper (keeps the ABI warning-free).
      alignas(32) int32_t lanes[4][8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[0]), acc0);
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[1]), acc1);
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[2]), acc2);
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[3]), acc3);
      int32_t s[4];
      for (int r = 0; r < 4; ++r) {
        s[r] = 0;
        for (int l = 0; l < 8; ++l) s[r] += lanes[r][l];
      }
      for (int r = 0; r < 4; ++r) {
        const int8_t* wr = w0 + size_t(r) * kp;
        for (int p = k16; p < kp; ++p) s[r] += int32_t(ar[p]) * int32_t(wr[p]);
        c[size_t(i) * w.n + j + r] = s[r] - kActivationZero * w.colsum[size_t(j + r)];
      }
    }
    for (; j < w.n; ++j) {
      const int8_t* wr = w.rows.data() + size_t(j) * kp;
      int32_t s = 0;
      for (int p = 0; p < kp; ++p) s += int32_t(ar[p]) * int32_t(wr[p]);
      c[size_t(i) * w.n + j] = s - kActivationZero * w.colsum[size_t(j)];
    }
  }
}

// acc += the u8 x s8 dot products of a and w per 4 bytes (vpdpbusd), in inline assembly: GCC 12
// gives the intrinsic a separate destination and then copies every accumulator of the 8-row
// tile below into another register and back on each k-group (16 vmovdqa per 8 vpdpbusd; the
// tile's loop was a quarter of a bilstm int8 batch). The sums are exact int32 either way.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) inline __m512i dpbusd(
    __m512i acc, __m512i a, __m512i w) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
  return acc;
}

// The epilogue of output block b (channels [16b, 16b + 16)): the activations' +128 offset made
// every sum too large by 128 x the channel's weight sum, and the last block may be partial.
struct BlockCorrection {
  __m512i corr;
  __mmask16 mask;
  int j;
};
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) inline BlockCorrection
block_correction(const PackedWeights& w, int b) {
  const int j = b * 16, cols = std::min(16, w.n - j);
  return {_mm512_mullo_epi32(_mm512_loadu_si512(w.colsum.data() + j),
                             _mm512_set1_epi32(kActivationZero)),
          static_cast<__mmask16>((1u << cols) - 1u), j};
}
// Row cr's outputs of the block: acc minus the correction.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) inline void store_corrected(
    const BlockCorrection& bc, __m512i acc, int32_t* cr) {
  _mm512_mask_storeu_epi32(cr + bc.j, bc.mask, _mm512_sub_epi32(acc, bc.corr));
}

// AVX-512 VNNI: one vpdpbusd computes 16 output channels x 4 k-bytes. A tile is up to 12 rows x
// 2 blocks of 16 channels (24 accumulators, two weight vectors and the broadcast: 27 of the 32
// registers): each group of 4 k-bytes loads 2 weight vectors and 12 activation words for 24
// vpdpbusd. (It was 8 rows x 1 block, 9 loads for 8 vpdpbusd, at ~560 GOP/s on Zen 5 where the
// encoders' 12 x 32 packed kernel reaches ~860.) Exact int32 sums in any order: every tile
// shape equals the reference.
template <int R, int B>
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) inline void vnni_tile(
    const uint8_t* a, int i0, int b0, const PackedWeights& w, int32_t* c) {
  const int groups = w.kp / 4;
  const size_t stride = size_t(groups) * 64;  // bytes per block of 16 channels
  const int8_t* wb = w.blocked.data() + size_t(b0) * stride;
  const uint8_t* a0 = a + size_t(i0) * w.kp;
  __m512i acc[R][B];
  for (int r = 0; r < R; ++r)
    for (int b = 0; b < B; ++b) acc[r][b] = _mm512_setzero_si512();
  for (int g = 0; g < groups; ++g) {
    __m512i wv[B];
    for (int b = 0; b < B; ++b) wv[b] = _mm512_loadu_si512(wb + size_t(b) * stride + size_t(g) * 64);
    for (int r = 0; r < R; ++r) {
      int32_t four;
      std::memcpy(&four, a0 + size_t(r) * w.kp + size_t(g) * 4, 4);
      const __m512i av = _mm512_set1_epi32(four);
      for (int b = 0; b < B; ++b) acc[r][b] = dpbusd(acc[r][b], av, wv[b]);
    }
  }
  for (int b = 0; b < B; ++b) {
    const BlockCorrection bc = block_correction(w, b0 + b);
    for (int r = 0; r < R; ++r) store_corrected(bc, acc[r][b], c + size_t(i0 + r) * w.n);
  }
}

template <int R>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void vnni_rows(const uint8_t* a, int i0,
                                                                      const PackedWeights& w,
                                                                      int32_t* c) {
  int b = 0;
  for (; b + 2 <= w.n_blocks; b += 2) vnni_tile<R, 2>(a, i0, b, w, c);
  if (b < w.n_blocks) vnni_tile<R, 1>(a, i0, b, w, c);
}

using VnniRowsFn = void (*)(const uint8_t*, int, const PackedWeights&, int32_t*);
constexpr VnniRowsFn kVnniRows[] = {nullptr,       vnni_rows<1>,  vnni_rows<2>, vnni_rows<3>,
                                    vnni_rows<4>,  vnni_rows<5>,  vnni_rows<6>, vnni_rows<7>,
                                    vnni_rows<8>,  vnni_rows<9>,  vnni_rows<10>, vnni_rows<11>,
                                    vnni_rows<12>};

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void gemm_u8s8_avx512vnni(
    const uint8_t* a, int m, const PackedWeights& w, int32_t* c) {
  constexpr int kRows = 12;
  for (int i0 = 0; i0 < m; i0 += kRows) kVnniRows[std::min(kRows, m - i0)](a, i0, w, c);
}

namespace {
// Output channels [16b, 16b + 16) of one row: acc minus the +128 correction.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) inline void store_block(
    const PackedWeights& w, int b, __m512i acc, int32_t* cr) {
  store_corrected(block_correction(w, b), acc, cr);
}
}  // namespace

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void gemv_u8s8_avx512vnni(
    const uint8_t* a, int m, const PackedWeights& w, int32_t* c) {
  constexpr int kBlocks = 4;  // independent accumulator chains
  const int groups = w.kp / 4;
  const size_t stride = size_t(groups) * 64;  // bytes per block of 16 output channels
  for (int i = 0; i < m; ++i) {
    const uint8_t* ar = a + size_t(i) * w.kp;
    int32_t* cr = c + size_t(i) * w.n;
    int b0 = 0;
    for (; b0 + kBlocks <= w.n_blocks; b0 += kBlocks) {
      __m512i acc[kBlocks];
      for (int b = 0; b < kBlocks; ++b) acc[b] = _mm512_setzero_si512();
      const int8_t* wb = w.blocked.data() + size_t(b0) * stride;
      for (int g = 0; g < groups; ++g) {
        int32_t four;
        std::memcpy(&four, ar + size_t(g) * 4, 4);
        const __m512i av = _mm512_set1_epi32(four);
        for (int b = 0; b < kBlocks; ++b)
          acc[b] = _mm512_dpbusd_epi32(
              acc[b], av, _mm512_loadu_si512(wb + size_t(b) * stride + size_t(g) * 64));
      }
      for (int b = 0; b < kBlocks; ++b) store_block(w, b0 + b, acc[b], cr);
    }
    for (; b0 < w.n_blocks; ++b0) {  // the last (< kBlocks) blocks, one chain each
      const int8_t* wb = w.blocked.data() + size_t(b0) * stride;
      __m512i acc = _mm512_setzero_si512();
      for (int g = 0; g < groups; ++g) {
        int32_t four;
        std::memcpy(&four, ar + size_t(g) * 4, 4);
        acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32(four),
                                  _mm512_loadu_si512(wb + size_t(g) * 64));
      }
      store_block(w, b0, acc, cr);
    }
  }
}

bool cpu_has_avx2() { return __builtin_cpu_supports("avx2"); }
bool cpu_has_avx512vnni() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vnni");
}

#else  // not x86: the reference is the only kernel.

void gemm_u8s8_avx2(const uint8_t* a, int m, const PackedWeights& w, int32_t* c) {
  gemm_u8s8_ref(a, m, w, c);
}
void gemm_u8s8_avx512vnni(const uint8_t* a, int m, const PackedWeights& w, int32_t* c) {
  gemm_u8s8_ref(a, m, w, c);
}
void gemv_u8s8_avx512vnni(const uint8_t* a, int m, const PackedWeights& w, int32_t* c) {
  gemm_u8s8_ref(a, m, w, c);
}
bool cpu_has_avx2() { return false; }
bool cpu_has_avx512vnni() { return false; }

#endif

namespace {

struct Choice {
  GemmFn fn;
  const char* name;
};

Choice choose() {
  const char* env = std::getenv("FENLEI_INT8_KERNEL");
  const std::string want = env ? env : "";
  if (want == "ref") return {gemm_u8s8_ref, "ref"};
  if (want == "avx2" && cpu_has_avx2()) return {gemm_u8s8_avx2, "avx2"};
  if (cpu_has_avx512vnni() && (want.empty() || want == "avx512vnni"))
    return {gemm_u8s8_avx512vnni, "avx512vnni"};
  if (cpu_has_avx2()) return {gemm_u8s8_avx2, "avx2"};
  return {gemm_u8s8_ref, "ref"};
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

}  // namespace

GemmFn best_gemm() { return choice().fn; }
const char* best_gemm_name() { return choice().name; }

GemmFn best_gemv() {
  static const GemmFn fn =
      choice().fn == &gemm_u8s8_avx512vnni ? &gemv_u8s8_avx512vnni : choice().fn;
  return fn;
}

}  // namespace fenlei::quant
