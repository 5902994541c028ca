// The gate updates of the integer recurrence (quant/int8_recurrence.h): one text's step from
// its int32 hidden-side sums. Compiled with -ffp-contract=off (CMakeLists.txt): every fused
// multiply-add here is written out as one, in the scalar reference and in the SIMD rows alike,
// and no plain product may be fused into a following sum behind our back, or the rows would no
// longer equal the reference bit for bit.
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "base/avx512_warnings.h"
#include "quant/int8_recurrence.h"

// (GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined operands.)
FENLEI_AVX512_INTRINSICS_BEGIN

namespace fenlei::quant {
namespace {

constexpr float kInvLevels = 1.0f / kHiddenLevels;
// The gates with two divisions per unit (LSTM: five in the textbook form; GRU: two instead of
// three): with d_i = 1 + e^-a_i, d_f = 1 + e^-a_f, d_o = 1 + e^-a_o, e_g = e^{2 a_g}
// (sigmoid = 1/d, tanh = (e - 1)/(e + 1)),
//   c = f c_prev + i g = (c_prev d_i (e_g + 1) + (e_g - 1) d_f) / (d_f d_i (e_g + 1)),
//   h = o tanh(c) = (e_c - 1) / (d_o (e_c + 1)),  e_c = e^{2c};
// GRU: r = 1/d_r, e_n = e^{2(x_n + r hh_n)}, h = (e_z (e_n - 1) + h_prev (e_n + 1)) /
// (d_z (e_n + 1)).
// Arguments are clamped (sigmoid to +-20, tanh to +-10, beyond which the float result no longer
// changes) so exp_fma's argument stays within +-20 and the products below e^60.
constexpr float kSigmoidBound = 20.0f, kTanhBound = 10.0f;

// exp: Cody-Waite reduction x = n ln2 + r (|r| <= ln2/2) and Cephes' degree-6 polynomial, as
// nn/fast_math.h, but each step a fused multiply-add (fewer instructions, one rounding each).
constexpr float kExpLog2e = 1.44269504088896341f;
constexpr float kExpRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
constexpr float kExpLn2Hi = 0.693359375f, kExpLn2Lo = -2.12194440e-4f;
constexpr float kExpP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                            4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

inline float exp_fma_inline(float x) {
  const float n = std::fma(x, kExpLog2e, kExpRound) - kExpRound;  // nearest integer to x/ln2
  float r = std::fma(n, -kExpLn2Hi, x);
  r = std::fma(n, -kExpLn2Lo, r);
  float p = std::fma(kExpP[0], r, kExpP[1]);
  p = std::fma(p, r, kExpP[2]);
  p = std::fma(p, r, kExpP[3]);
  p = std::fma(p, r, kExpP[4]);
  p = std::fma(p, r, kExpP[5]);
  const float y = std::fma(p, r * r, r) + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return y * scale;
}

inline float clamp_to(float x, float bound) {
  x = x > -bound ? x : -bound;  // _mm*_max_ps(x, -bound): x unless x <= -bound (or NaN)
  return x < bound ? x : bound;
}

// base + float(acc) * (scale / 127): the hidden-side part of a pre-activation, one rounding.
inline float with_hidden(float base, const int32_t* acc, const float* os, int j) {
  return acc == nullptr ? base : std::fma(float(acc[j]), os[j] * kInvLevels, base);
}

void lstm_rows_from(const float* in, const int32_t* acc, const float* os, int H,
                    const float* c_prev, float* c, float* h, int j0) {
  for (int j = j0; j < H; ++j) {
    const float ai = with_hidden(in[j], acc, os, j);
    const float af = with_hidden(in[H + j], acc, os, H + j);
    const float ag = with_hidden(in[2 * H + j], acc, os, 2 * H + j);
    const float ao = with_hidden(in[3 * H + j], acc, os, 3 * H + j);
    const float di = 1.0f + exp_fma_inline(-clamp_to(ai, kSigmoidBound));
    const float df = 1.0f + exp_fma_inline(-clamp_to(af, kSigmoidBound));
    const float eg = exp_fma_inline(2.0f * clamp_to(ag, kTanhBound));
    const float dout = 1.0f + exp_fma_inline(-clamp_to(ao, kSigmoidBound));
    const float dg = eg + 1.0f;
    const float cp = c_prev == nullptr ? 0.0f : c_prev[j];
    const float cv = std::fma(cp * di, dg, (eg - 1.0f) * df) / (df * di * dg);
    const float ec = exp_fma_inline(2.0f * clamp_to(cv, kTanhBound));
    c[j] = cv;
    h[j] = (ec - 1.0f) / (dout * (ec + 1.0f));
  }
}

void gru_rows_from(const float* in, const int32_t* acc, const float* os, const float* b_hh, int H,
                   const float* h_prev, float* h, int j0) {
  for (int j = j0; j < H; ++j) {
    const float hr = with_hidden(b_hh[j], acc, os, j);
    const float hz = with_hidden(b_hh[H + j], acc, os, H + j);
    const float hn = with_hidden(b_hh[2 * H + j], acc, os, 2 * H + j);
    const float r = 1.0f / (1.0f + exp_fma_inline(-clamp_to(in[j] + hr, kSigmoidBound)));
    const float ez = exp_fma_inline(-clamp_to(in[H + j] + hz, kSigmoidBound));
    const float en = exp_fma_inline(2.0f * clamp_to(std::fma(r, hn, in[2 * H + j]), kTanhBound));
    const float hp = h_prev == nullptr ? 0.0f : h_prev[j];
    const float en1 = en + 1.0f;
    h[j] = std::fma(ez, en - 1.0f, hp * en1) / ((1.0f + ez) * en1);
  }
}

#if defined(__x86_64__)
#define FENLEI_AVX2_FMA __attribute__((target("avx2,fma")))
#define FENLEI_AVX512 __attribute__((target("avx512f")))

FENLEI_AVX2_FMA inline __m256 exp_fma8(__m256 x) {
  const __m256 round = _mm256_set1_ps(kExpRound);
  const __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(kExpLog2e), round), round);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kExpLn2Hi), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kExpLn2Lo), r);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(kExpP[0]), r, _mm256_set1_ps(kExpP[1]));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP[2]));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP[3]));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP[4]));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP[5]));
  const __m256 y =
      _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i bits =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

FENLEI_AVX512 inline __m512 exp_fma16(__m512 x) {
  const __m512 round = _mm512_set1_ps(kExpRound);
  const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(kExpLog2e), round), round);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-kExpLn2Hi), x);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(-kExpLn2Lo), r);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(kExpP[0]), r, _mm512_set1_ps(kExpP[1]));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP[2]));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP[3]));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP[4]));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP[5]));
  const __m512 y =
      _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);  // y * 2^n, exactly the scalar product with the power of two
}

FENLEI_AVX2_FMA inline __m256 clamp8(__m256 x, float bound) {
  return _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-bound)), _mm256_set1_ps(bound));
}
FENLEI_AVX2_FMA inline __m256 with_hidden8(const float* base, const int32_t* acc,
                                           const float* os, int j) {
  const __m256 b = _mm256_loadu_ps(base + j);
  if (acc == nullptr) return b;
  const __m256 a =
      _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + j)));
  return _mm256_fmadd_ps(a, _mm256_mul_ps(_mm256_loadu_ps(os + j), _mm256_set1_ps(kInvLevels)),
                         b);
}
FENLEI_AVX2_FMA inline __m256 exp_neg8(__m256 x) {
  return exp_fma8(_mm256_xor_ps(clamp8(x, kSigmoidBound), _mm256_set1_ps(-0.0f)));
}
FENLEI_AVX2_FMA inline __m256 exp_twice8(__m256 x) {
  return exp_fma8(_mm256_mul_ps(_mm256_set1_ps(2.0f), clamp8(x, kTanhBound)));
}

FENLEI_AVX512 inline __m512 clamp16(__m512 x, float bound) {
  return _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-bound)), _mm512_set1_ps(bound));
}
FENLEI_AVX512 inline __m512 with_hidden16(const float* base, const int32_t* acc,
                                          const float* os, int j) {
  const __m512 b = _mm512_loadu_ps(base + j);
  if (acc == nullptr) return b;
  const __m512 a = _mm512_cvtepi32_ps(_mm512_loadu_si512(acc + j));
  return _mm512_fmadd_ps(a, _mm512_mul_ps(_mm512_loadu_ps(os + j), _mm512_set1_ps(kInvLevels)),
                         b);
}
FENLEI_AVX512 inline __m512 exp_neg16(__m512 x) {
  const __m512i sign = _mm512_set1_epi32(int32_t(0x80000000u));  // -x, bit for bit
  return exp_fma16(_mm512_castsi512_ps(
      _mm512_xor_si512(_mm512_castps_si512(clamp16(x, kSigmoidBound)), sign)));
}
FENLEI_AVX512 inline __m512 exp_twice16(__m512 x) {
  return exp_fma16(_mm512_mul_ps(_mm512_set1_ps(2.0f), clamp16(x, kTanhBound)));
}
#endif

}  // namespace

float exp_fma(float x) { return exp_fma_inline(x); }

void exp_fma_row_ref(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = exp_fma_inline(x[i]);
}

#if defined(__x86_64__)
FENLEI_AVX2_FMA void exp_fma_row_avx2(const float* x, float* y, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp_fma8(_mm256_loadu_ps(x + i)));
  exp_fma_row_ref(x + i, y + i, n - i);
}

FENLEI_AVX512 void exp_fma_row_avx512(const float* x, float* y, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, exp_fma16(_mm512_loadu_ps(x + i)));
  exp_fma_row_ref(x + i, y + i, n - i);
}

FENLEI_AVX2_FMA void lstm_int8_row_avx2(const float* in, const int32_t* acc, const float* os,
                                        int H, const float* c_prev, float* c, float* h) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int j = 0;
  for (; j + 8 <= H; j += 8) {
    const __m256 di = _mm256_add_ps(one, exp_neg8(with_hidden8(in, acc, os, j)));
    const __m256 df = _mm256_add_ps(one, exp_neg8(with_hidden8(in, acc, os, H + j)));
    const __m256 eg = exp_twice8(with_hidden8(in, acc, os, 2 * H + j));
    const __m256 dout = _mm256_add_ps(one, exp_neg8(with_hidden8(in, acc, os, 3 * H + j)));
    const __m256 dg = _mm256_add_ps(eg, one);
    const __m256 cp = c_prev == nullptr ? _mm256_setzero_ps() : _mm256_loadu_ps(c_prev + j);
    const __m256 cv =
        _mm256_div_ps(_mm256_fmadd_ps(_mm256_mul_ps(cp, di), dg,
                                      _mm256_mul_ps(_mm256_sub_ps(eg, one), df)),
                      _mm256_mul_ps(_mm256_mul_ps(df, di), dg));
    const __m256 ec = exp_twice8(cv);
    _mm256_storeu_ps(c + j, cv);
    _mm256_storeu_ps(h + j, _mm256_div_ps(_mm256_sub_ps(ec, one),
                                          _mm256_mul_ps(dout, _mm256_add_ps(ec, one))));
  }
  lstm_rows_from(in, acc, os, H, c_prev, c, h, j);
}

FENLEI_AVX2_FMA void gru_int8_row_avx2(const float* in, const int32_t* acc, const float* os,
                                       const float* b_hh, int H, const float* h_prev, float* h) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int j = 0;
  for (; j + 8 <= H; j += 8) {
    const __m256 hr = with_hidden8(b_hh, acc, os, j);
    const __m256 hz = with_hidden8(b_hh, acc, os, H + j);
    const __m256 hn = with_hidden8(b_hh, acc, os, 2 * H + j);
    const __m256 r = _mm256_div_ps(
        one, _mm256_add_ps(one, exp_neg8(_mm256_add_ps(_mm256_loadu_ps(in + j), hr))));
    const __m256 ez = exp_neg8(_mm256_add_ps(_mm256_loadu_ps(in + H + j), hz));
    const __m256 en = exp_twice8(_mm256_fmadd_ps(r, hn, _mm256_loadu_ps(in + 2 * H + j)));
    const __m256 hp = h_prev == nullptr ? _mm256_setzero_ps() : _mm256_loadu_ps(h_prev + j);
    const __m256 en1 = _mm256_add_ps(en, one);
    _mm256_storeu_ps(h + j, _mm256_div_ps(_mm256_fmadd_ps(ez, _mm256_sub_ps(en, one),
                                                          _mm256_mul_ps(hp, en1)),
                                          _mm256_mul_ps(_mm256_add_ps(one, ez), en1)));
  }
  gru_rows_from(in, acc, os, b_hh, H, h_prev, h, j);
}

FENLEI_AVX512 void lstm_int8_row_avx512(const float* in, const int32_t* acc, const float* os,
                                        int H, const float* c_prev, float* c, float* h) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int j = 0;
  for (; j + 16 <= H; j += 16) {
    const __m512 di = _mm512_add_ps(one, exp_neg16(with_hidden16(in, acc, os, j)));
    const __m512 df = _mm512_add_ps(one, exp_neg16(with_hidden16(in, acc, os, H + j)));
    const __m512 eg = exp_twice16(with_hidden16(in, acc, os, 2 * H + j));
    const __m512 dout = _mm512_add_ps(one, exp_neg16(with_hidden16(in, acc, os, 3 * H + j)));
    const __m512 dg = _mm512_add_ps(eg, one);
    const __m512 cp = c_prev == nullptr ? _mm512_setzero_ps() : _mm512_loadu_ps(c_prev + j);
    const __m512 cv =
        _mm512_div_ps(_mm512_fmadd_ps(_mm512_mul_ps(cp, di), dg,
                                      _mm512_mul_ps(_mm512_sub_ps(eg, one), df)),
                      _mm512_mul_ps(_mm512_mul_ps(df, di), dg));
    const __m512 ec = exp_twice16(cv);
    _mm512_storeu_ps(c + j, cv);
    _mm512_storeu_ps(h + j, _mm512_div_ps(_mm512_sub_ps(ec, one),
                                          _mm512_mul_ps(dout, _mm512_add_ps(ec, one))));
  }
  lstm_rows_from(in, acc, os, H, c_prev, c, h, j);
}

FENLEI_AVX512 void gru_int8_row_avx512(const float* in, const int32_t* acc, const float* os,
                                       const float* b_hh, int H, const float* h_prev, float* h) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int j = 0;
  for (; j + 16 <= H; j += 16) {
    const __m512 hr = with_hidden16(b_hh, acc, os, j);
    const __m512 hz = with_hidden16(b_hh, acc, os, H + j);
    const __m512 hn = with_hidden16(b_hh, acc, os, 2 * H + j);
    const __m512 r = _mm512_div_ps(
        one, _mm512_add_ps(one, exp_neg16(_mm512_add_ps(_mm512_loadu_ps(in + j), hr))));
    const __m512 ez = exp_neg16(_mm512_add_ps(_mm512_loadu_ps(in + H + j), hz));
    const __m512 en = exp_twice16(_mm512_fmadd_ps(r, hn, _mm512_loadu_ps(in + 2 * H + j)));
    const __m512 hp = h_prev == nullptr ? _mm512_setzero_ps() : _mm512_loadu_ps(h_prev + j);
    const __m512 en1 = _mm512_add_ps(en, one);
    _mm512_storeu_ps(h + j, _mm512_div_ps(_mm512_fmadd_ps(ez, _mm512_sub_ps(en, one),
                                                          _mm512_mul_ps(hp, en1)),
                                          _mm512_mul_ps(_mm512_add_ps(one, ez), en1)));
  }
  gru_rows_from(in, acc, os, b_hh, H, h_prev, h, j);
}
#else
void exp_fma_row_avx2(const float* x, float* y, int n) { exp_fma_row_ref(x, y, n); }
void exp_fma_row_avx512(const float* x, float* y, int n) { exp_fma_row_ref(x, y, n); }
void lstm_int8_row_avx2(const float* in, const int32_t* acc, const float* os, int H,
                        const float* c_prev, float* c, float* h) {
  lstm_int8_row_ref(in, acc, os, H, c_prev, c, h);
}
void gru_int8_row_avx2(const float* in, const int32_t* acc, const float* os, const float* b_hh,
                       int H, const float* h_prev, float* h) {
  gru_int8_row_ref(in, acc, os, b_hh, H, h_prev, h);
}
void lstm_int8_row_avx512(const float* in, const int32_t* acc, const float* os, int H,
                          const float* c_prev, float* c, float* h) {
  lstm_int8_row_ref(in, acc, os, H, c_prev, c, h);
}
void gru_int8_row_avx512(const float* in, const int32_t* acc, const float* os, const float* b_hh,
                         int H, const float* h_prev, float* h) {
  gru_int8_row_ref(in, acc, os, b_hh, H, h_prev, h);
}
#endif

void lstm_int8_row_ref(const float* in, const int32_t* acc, const float* os, int H,
                       const float* c_prev, float* c, float* h) {
  lstm_rows_from(in, acc, os, H, c_prev, c, h, 0);
}

void gru_int8_row_ref(const float* in, const int32_t* acc, const float* os, const float* b_hh,
                      int H, const float* h_prev, float* h) {
  gru_rows_from(in, acc, os, b_hh, H, h_prev, h, 0);
}

bool gate_rows_have_avx2() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool gate_rows_have_avx512() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

LstmInt8RowFn best_lstm_int8_row() {
  return gate_rows_have_avx512() ? &lstm_int8_row_avx512
         : gate_rows_have_avx2() ? &lstm_int8_row_avx2
                                 : &lstm_int8_row_ref;
}

GruInt8RowFn best_gru_int8_row() {
  return gate_rows_have_avx512() ? &gru_int8_row_avx512
         : gate_rows_have_avx2() ? &gru_int8_row_avx2
                                 : &gru_int8_row_ref;
}

}  // namespace fenlei::quant

FENLEI_AVX512_INTRINSICS_END
