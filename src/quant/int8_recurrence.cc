// The integer recurrence (see int8_recurrence.h).
#include "quant/int8_recurrence.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "base/avx512_warnings.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"
#include "quant/int8_model.h"
#include "quant/kernels.h"

namespace fenlei::quant {
namespace {

inline int round_hidden(float v) {
  const float r = std::nearbyint(v * kHiddenLevels);
  return int(std::min(127.0f, std::max(-127.0f, r)));
}

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
FENLEI_AVX512_INTRINSICS_BEGIN
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
FENLEI_AVX512_INTRINSICS_END

#else
void quantize_hidden_u8_avx2(const float* h, int m, int k, int kp, uint8_t* q) {
  quantize_hidden_u8_ref(h, m, k, kp, q);
}
void quantize_hidden_u8_avx512(const float* h, int m, int k, int kp, uint8_t* q) {
  quantize_hidden_u8_ref(h, m, k, kp, q);
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

void lstm_int8_recurrence(const nn::PackedLayout& L, const float* const* in, const Int8Linear& w,
                          int H, Int8RecurrenceScratch& s, std::vector<float>& cell, float* h) {
  static const LstmInt8RowFn row_fn = best_lstm_int8_row();
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
  static const GruInt8RowFn row_fn = best_gru_int8_row();
  const float* os = w.out_scale.data();
  run_steps(L, w, H, s, h, [&](int k, const int32_t* acc, const nn::StepRows& st) {
    const size_t r = size_t(st.first + k) * H;
    const float* hp = st.initial ? nullptr : h + size_t(st.prev + k) * H;
    prefetch_next(in, st, k, L.rows(), w.out);
    row_fn(in[st.first + k], acc, os, b_hh, H, hp, h + r);
  });
}

}  // namespace fenlei::quant
