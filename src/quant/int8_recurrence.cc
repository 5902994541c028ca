// The integer recurrence (see int8_recurrence.h).
#include "quant/int8_recurrence.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "nn/fast_math.h"
#include "nn/fast_math_avx2.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"
#include "quant/int8_model.h"
#include "quant/kernels.h"

namespace fenlei::quant {
namespace {

constexpr float kInvLevels = 1.0f / kHiddenLevels;

// The hidden-side pre-activation of unit j: float(acc) * scale / 127, in this order everywhere.
inline float hidden_part(const int32_t* acc, const float* out_scale, int j) {
  return float(acc[j]) * out_scale[j] * kInvLevels;
}

inline int round_hidden(float v) {
  const float r = std::nearbyint(v * kHiddenLevels);
  return int(std::min(127.0f, std::max(-127.0f, r)));
}

// The gates with two divisions per unit instead of five (LSTM; GRU: two instead of three),
// which were most of a step once W_hh was int8: with d_i = 1 + e^-a_i, d_f = 1 + e^-a_f,
// d_o = 1 + e^-a_o, e_g = e^{2 a_g} (sigmoid = 1/d, tanh = (e - 1)/(e + 1)),
//   c = f c_prev + i g = (c_prev d_i (e_g + 1) + (e_g - 1) d_f) / (d_f d_i (e_g + 1)),
//   h = o tanh(c) = (e_c - 1) / (d_o (e_c + 1)),  e_c = e^{2c};
// GRU: r = 1/d_r, e_n = e^{2(x_n + r hh_n)}, h = (e_z (e_n - 1) + h_prev (e_n + 1)) /
// (d_z (e_n + 1)). Arguments are clamped (sigmoid to +-20, tanh to +-10, beyond which the float
// result no longer changes) so the products stay below e^60. Scalar here, the same operations
// in the same order eight lanes wide below (fast_exp8 equals fast_exp lane for lane).
inline float clamp_to(float x, float bound) {
  x = x > -bound ? x : -bound;
  return x < bound ? x : bound;
}
constexpr float kSigmoidBound = 20.0f, kTanhBound = 10.0f;
inline float exp_neg(float x) { return nn::fast_exp(-clamp_to(x, kSigmoidBound)); }
inline float exp_twice(float x) { return nn::fast_exp(2.0f * clamp_to(x, kTanhBound)); }

void lstm_row_from(const float* in, const int32_t* acc, const float* os, int H,
                   const float* c_prev, float* c, float* h, int j0) {
  for (int j = j0; j < H; ++j) {
    float a[4];
    for (int g = 0; g < 4; ++g)
      a[g] = acc == nullptr ? in[g * H + j] : in[g * H + j] + hidden_part(acc, os, g * H + j);
    const float di = 1.0f + exp_neg(a[0]);
    const float df = 1.0f + exp_neg(a[1]);
    const float eg = exp_twice(a[2]);
    const float dout = 1.0f + exp_neg(a[3]);
    const float dg = eg + 1.0f;
    const float cp = c_prev == nullptr ? 0.0f : c_prev[j];
    const float cv = (cp * di * dg + (eg - 1.0f) * df) / (df * di * dg);
    const float ec = exp_twice(cv);
    c[j] = cv;
    h[j] = (ec - 1.0f) / (dout * (ec + 1.0f));
  }
}

void gru_row_from(const float* in, const int32_t* acc, const float* os, const float* b_hh, int H,
                  const float* h_prev, float* h, int j0) {
  for (int j = j0; j < H; ++j) {
    float hh[3];
    for (int g = 0; g < 3; ++g)
      hh[g] = acc == nullptr ? b_hh[g * H + j] : b_hh[g * H + j] + hidden_part(acc, os, g * H + j);
    const float r = 1.0f / (1.0f + exp_neg(in[j] + hh[0]));
    const float ez = exp_neg(in[H + j] + hh[1]);
    const float en = exp_twice(in[2 * H + j] + r * hh[2]);
    const float hp = h_prev == nullptr ? 0.0f : h_prev[j];
    h[j] = (ez * (en - 1.0f) + hp * (en + 1.0f)) / ((1.0f + ez) * (en + 1.0f));
  }
}

#if defined(__x86_64__)
// base + float(acc) * scale / 127 for 8 units (base alone at step 0).
__attribute__((target("avx2"))) inline __m256 add_hidden8(const float* base, const int32_t* acc,
                                                          const float* os, int j) {
  const __m256 b = _mm256_loadu_ps(base + j);
  if (acc == nullptr) return b;
  const __m256 a = _mm256_cvtepi32_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + j)));
  return _mm256_add_ps(
      b, _mm256_mul_ps(_mm256_mul_ps(a, _mm256_loadu_ps(os + j)), _mm256_set1_ps(kInvLevels)));
}

__attribute__((target("avx2"))) inline __m256 clamp8(__m256 x, float bound) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-bound));
  return _mm256_min_ps(x, _mm256_set1_ps(bound));
}
__attribute__((target("avx2"))) inline __m256 exp_neg8(__m256 x) {
  return nn::fast_exp8(_mm256_xor_ps(clamp8(x, kSigmoidBound), _mm256_set1_ps(-0.0f)));
}
__attribute__((target("avx2"))) inline __m256 exp_twice8(__m256 x) {
  return nn::fast_exp8(_mm256_mul_ps(_mm256_set1_ps(2.0f), clamp8(x, kTanhBound)));
}
#endif

// Starts loading the same text's input row of the next step (rows are scattered through the
// per-token table; their cache misses were about a sixth of a gate update): text k of a step is
// row first + count + k of the next (a prefix of the texts continues; for the others this is a
// harmless early load of a later row).
inline void prefetch_next(const float* const* in, const nn::StepRows& st, int k, int rows,
                          int floats) {
  const int next = st.first + st.count + k;
  if (next >= rows) return;
  const float* p = in[next];
  for (int i = 0; i < floats; i += 16) __builtin_prefetch(p + i);
}

using LstmRowFn = void (*)(const float*, const int32_t*, const float*, int, const float*, float*,
                           float*);
using GruRowFn = void (*)(const float*, const int32_t*, const float*, const float*, int,
                          const float*, float*);

// Every step of one direction: the running texts' h_{t-1} quantised and multiplied by W_hh
// (exact int32), then row(k, acc of text k or null at step 0, step) per text.
template <typename RowFn>
void run_steps(const nn::PackedLayout& L, const Int8Linear& w, int H, Int8RecurrenceScratch& s,
               const float* h, RowFn&& row) {
  if (L.rows() == 0) return;
  const int G = w.out, kp = w.packed.kp;
  const size_t most = size_t(L.active(0));
  uint8_t* q = nn::grow(s.q, most * size_t(kp));
  int32_t* acc = nn::grow(s.acc, most * size_t(G));
  static const GemmFn gemm = best_gemm();
  static const GemmFn gemv = best_gemv();
  nn::for_each_step(L, false, [&](const nn::StepRows& st) {
    if (!st.initial) {
      quantize_hidden_u8(h + size_t(st.prev) * H, st.count, H, kp, q);
      (st.count < 8 ? gemv : gemm)(q, st.count, w.packed, acc);
    }
    for (int k = 0; k < st.count; ++k)
      row(k, st.initial ? nullptr : acc + size_t(k) * G, st);
  });
}

}  // namespace

void quantize_hidden_u8_ref(const float* h, int m, int k, int kp, uint8_t* q) {
  for (int i = 0; i < m; ++i) {
    const float* hr = h + size_t(i) * k;
    uint8_t* qr = q + size_t(i) * kp;
    for (int p = 0; p < k; ++p) qr[p] = uint8_t(round_hidden(hr[p]) + kActivationZero);
    for (int p = k; p < kp; ++p) qr[p] = kActivationZero;
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) void quantize_hidden_u8_avx2(const float* h, int m, int k, int kp,
                                                            uint8_t* q) {
  const __m256 levels = _mm256_set1_ps(kHiddenLevels);
  const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
  const __m256i zero_point = _mm256_set1_epi32(kActivationZero);
  for (int i = 0; i < m; ++i) {
    const float* hr = h + size_t(i) * k;
    uint8_t* qr = q + size_t(i) * kp;
    int p = 0;
    for (; p + 8 <= k; p += 8) {
      __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(hr + p), levels));
      v = _mm256_add_epi32(_mm256_min_epi32(hi, _mm256_max_epi32(lo, v)), zero_point);
      // 8 x int32 in [1, 255] -> 8 bytes.
      const __m256i w16 = _mm256_packus_epi32(v, v);            // per 128-bit lane
      const __m256i b8 = _mm256_packus_epi16(w16, w16);
      const uint32_t lo4 = uint32_t(_mm256_extract_epi32(b8, 0));
      const uint32_t hi4 = uint32_t(_mm256_extract_epi32(b8, 4));
      std::memcpy(qr + p, &lo4, 4);
      std::memcpy(qr + p + 4, &hi4, 4);
    }
    for (; p < k; ++p) qr[p] = uint8_t(round_hidden(hr[p]) + kActivationZero);
    for (p = k; p < kp; ++p) qr[p] = kActivationZero;
  }
}

// (GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined operands.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((target("avx512f"))) void quantize_hidden_u8_avx512(const float* h, int m, int k,
                                                                 int kp, uint8_t* q) {
  const __m512 levels = _mm512_set1_ps(kHiddenLevels);
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
  const __m512i zero_point = _mm512_set1_epi32(kActivationZero);
  for (int i = 0; i < m; ++i) {
    const float* hr = h + size_t(i) * k;
    uint8_t* qr = q + size_t(i) * kp;
    for (int p = 0; p < k; p += 16) {
      const __mmask16 in = k - p >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - p)) - 1u);
      __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(in, hr + p), levels));
      v = _mm512_add_epi32(_mm512_min_epi32(hi, _mm512_max_epi32(lo, v)), zero_point);
      _mm512_mask_cvtepi32_storeu_epi8(qr + p, in, v);
    }
    for (int p = k; p < kp; ++p) qr[p] = kActivationZero;
  }
}
#pragma GCC diagnostic pop

__attribute__((target("avx2"))) void lstm_int8_row_avx2(const float* in, const int32_t* acc,
                                                       const float* os, int H,
                                                       const float* c_prev, float* c, float* h) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int j = 0;
  for (; j + 8 <= H; j += 8) {
    const __m256 di = _mm256_add_ps(one, exp_neg8(add_hidden8(in, acc, os, j)));
    const __m256 df = _mm256_add_ps(one, exp_neg8(add_hidden8(in, acc, os, H + j)));
    const __m256 eg = exp_twice8(add_hidden8(in, acc, os, 2 * H + j));
    const __m256 dout = _mm256_add_ps(one, exp_neg8(add_hidden8(in, acc, os, 3 * H + j)));
    const __m256 dg = _mm256_add_ps(eg, one);
    const __m256 cp = c_prev == nullptr ? _mm256_setzero_ps() : _mm256_loadu_ps(c_prev + j);
    const __m256 cv = _mm256_div_ps(
        _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(cp, di), dg),
                      _mm256_mul_ps(_mm256_sub_ps(eg, one), df)),
        _mm256_mul_ps(_mm256_mul_ps(df, di), dg));
    const __m256 ec = exp_twice8(cv);
    _mm256_storeu_ps(c + j, cv);
    _mm256_storeu_ps(h + j, _mm256_div_ps(_mm256_sub_ps(ec, one),
                                          _mm256_mul_ps(dout, _mm256_add_ps(ec, one))));
  }
  lstm_row_from(in, acc, os, H, c_prev, c, h, j);
}

__attribute__((target("avx2"))) void gru_int8_row_avx2(const float* in, const int32_t* acc,
                                                      const float* os, const float* b_hh, int H,
                                                      const float* h_prev, float* h) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int j = 0;
  for (; j + 8 <= H; j += 8) {
    const __m256 r = _mm256_div_ps(
        one, _mm256_add_ps(one, exp_neg8(_mm256_add_ps(_mm256_loadu_ps(in + j),
                                                       add_hidden8(b_hh, acc, os, j)))));
    const __m256 ez =
        exp_neg8(_mm256_add_ps(_mm256_loadu_ps(in + H + j), add_hidden8(b_hh, acc, os, H + j)));
    const __m256 en = exp_twice8(_mm256_add_ps(
        _mm256_loadu_ps(in + 2 * H + j), _mm256_mul_ps(r, add_hidden8(b_hh, acc, os, 2 * H + j))));
    const __m256 hp = h_prev == nullptr ? _mm256_setzero_ps() : _mm256_loadu_ps(h_prev + j);
    const __m256 en1 = _mm256_add_ps(en, one);
    _mm256_storeu_ps(h + j, _mm256_div_ps(_mm256_add_ps(_mm256_mul_ps(ez, _mm256_sub_ps(en, one)),
                                                        _mm256_mul_ps(hp, en1)),
                                          _mm256_mul_ps(_mm256_add_ps(one, ez), en1)));
  }
  gru_row_from(in, acc, os, b_hh, H, h_prev, h, j);
}
#else
void quantize_hidden_u8_avx2(const float* h, int m, int k, int kp, uint8_t* q) {
  quantize_hidden_u8_ref(h, m, k, kp, q);
}
void quantize_hidden_u8_avx512(const float* h, int m, int k, int kp, uint8_t* q) {
  quantize_hidden_u8_ref(h, m, k, kp, q);
}
void lstm_int8_row_avx2(const float* in, const int32_t* acc, const float* os, int H,
                        const float* c_prev, float* c, float* h) {
  lstm_int8_row_ref(in, acc, os, H, c_prev, c, h);
}
void gru_int8_row_avx2(const float* in, const int32_t* acc, const float* os, const float* b_hh,
                       int H, const float* h_prev, float* h) {
  gru_int8_row_ref(in, acc, os, b_hh, H, h_prev, h);
}
#endif

void quantize_hidden_u8(const float* h, int m, int k, int kp, uint8_t* q) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx512)
    quantize_hidden_u8_avx512(h, m, k, kp, q);
  else if (avx2)
    quantize_hidden_u8_avx2(h, m, k, kp, q);
  else
    quantize_hidden_u8_ref(h, m, k, kp, q);
}

void lstm_int8_row_ref(const float* in, const int32_t* acc, const float* os, int H,
                       const float* c_prev, float* c, float* h) {
  lstm_row_from(in, acc, os, H, c_prev, c, h, 0);
}

void gru_int8_row_ref(const float* in, const int32_t* acc, const float* os, const float* b_hh,
                      int H, const float* h_prev, float* h) {
  gru_row_from(in, acc, os, b_hh, H, h_prev, h, 0);
}

void lstm_int8_recurrence(const nn::PackedLayout& L, const float* const* in, const Int8Linear& w,
                          int H, Int8RecurrenceScratch& s, std::vector<float>& cell, float* h) {
  static const LstmRowFn row_fn =
      __builtin_cpu_supports("avx2") ? &lstm_int8_row_avx2 : &lstm_int8_row_ref;
  float* c = nn::grow(cell, size_t(std::max(L.rows(), 1)) * H);
  const float* os = w.out_scale.data();
  run_steps(L, w, H, s, h, [&](int k, const int32_t* acc, const nn::StepRows& st) {
    const size_t r = size_t(st.first + k) * H;
    const float* cp = st.initial ? nullptr : c + size_t(st.prev + k) * H;
    prefetch_next(in, st, k, L.rows(), w.out);
    row_fn(in[st.first + k], acc, os, H, cp, c + r, h + r);
  });
}

void gru_int8_recurrence(const nn::PackedLayout& L, const float* const* in, const Int8Linear& w,
                         const float* b_hh, int H, Int8RecurrenceScratch& s, float* h) {
  static const GruRowFn row_fn =
      __builtin_cpu_supports("avx2") ? &gru_int8_row_avx2 : &gru_int8_row_ref;
  const float* os = w.out_scale.data();
  run_steps(L, w, H, s, h, [&](int k, const int32_t* acc, const nn::StepRows& st) {
    const size_t r = size_t(st.first + k) * H;
    const float* hp = st.initial ? nullptr : h + size_t(st.prev + k) * H;
    prefetch_next(in, st, k, L.rows(), w.out);
    row_fn(in[st.first + k], acc, os, b_hh, H, hp, h + r);
  });
}

}  // namespace fenlei::quant
