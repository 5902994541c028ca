#include "nn/recurrent_batch_inference.h"

#include <algorithm>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "nn/recurrent_cells_avx2.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

constexpr int kTileRows = 6;  // texts per tile: LSTM 6 x 4 gates = 24 accumulators of 32

#if defined(__x86_64__)
#define FENLEI_TILE_TARGET __attribute__((target("avx2,fma,avx512f,avx512dq")))

// Accumulators acc[r][g] of R texts x `Gates` gates (16 units each) for one panel: acc = the
// initial values, then += h_prev[r] . panel, k = 0..K-1 in order, one fused multiply-add each
// (gemv_packed's order, so each lane is the one-text path's value). h_prev == nullptr: step 0.
template <int R, int Gates>
struct Tile {
  __m512 acc[R][Gates];

  FENLEI_TILE_TARGET __attribute__((always_inline)) inline void run(const float* panel, int K,
                                                                     const float* h_prev, int H) {
    if (h_prev == nullptr) return;
    constexpr int kWidth = Gates * kPanelUnits;
    for (int k = 0; k < K; ++k, panel += kWidth) {
      __m512 w[Gates];
#pragma GCC unroll 4
      for (int g = 0; g < Gates; ++g) w[g] = _mm512_loadu_ps(panel + kPanelUnits * g);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m512 x = _mm512_set1_ps(h_prev[size_t(r) * H + k]);
#pragma GCC unroll 4
        for (int g = 0; g < Gates; ++g) acc[r][g] = _mm512_fmadd_ps(x, w[g], acc[r][g]);
      }
    }
  }
};

FENLEI_TILE_TARGET inline __m256 low8(__m512 v) { return _mm512_extractf32x8_ps(v, 0); }
FENLEI_TILE_TARGET inline __m256 high8(__m512 v) { return _mm512_extractf32x8_ps(v, 1); }

// The cell updates of 8 units, out of line and compiled for AVX2 alone: inlined into the
// FMA-enabled tiles, GCC would contract their multiply-adds into fused ones and the values would
// no longer be the one-text path's (and the training path's) bit for bit.
__attribute__((target("avx2"), noinline)) void lstm_update8(__m256 ai, __m256 af, __m256 ag,
                                                           __m256 ao, const float* c_prev,
                                                           float* c, float* h) {
  const __m256 cp = c_prev == nullptr ? _mm256_setzero_ps() : _mm256_loadu_ps(c_prev);
  const LstmCell8 u = lstm_cell8(ai, af, ag, ao, cp);
  _mm256_storeu_ps(c, u.c);
  _mm256_storeu_ps(h, u.h);
}

// x: the input-side pre-activations of gate r at these units (z at x + H, n at x + 2H).
__attribute__((target("avx2"), noinline)) void gru_update8(const float* x, int H, __m256 hr,
                                                          __m256 hz, __m256 hn,
                                                          const float* h_prev, float* h) {
  const __m256 hp = h_prev == nullptr ? _mm256_setzero_ps() : _mm256_loadu_ps(h_prev);
  _mm256_storeu_ps(h, gru_cell8(_mm256_loadu_ps(x), _mm256_loadu_ps(x + H),
                                _mm256_loadu_ps(x + 2 * H), hr, hz, hn, hp)
                          .h);
}

// R texts of one LSTM step, units [j0, j0+16): inputs in[0..R), outputs rows 0..R of h and c
// (stride H), previous states rows 0..R of h_prev/c_prev (null at step 0).
template <int R>
FENLEI_TILE_TARGET void lstm_tile(const float* panel, int H, int j0, const float* const* in,
                                  const float* h_prev, const float* c_prev, float* h, float* c) {
  Tile<R, 4> t;
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) t.acc[r][g] = _mm512_loadu_ps(in[r] + g * H + j0);
  t.run(panel, H, h_prev, H);
  for (int r = 0; r < R; ++r) {
    const __m512* a = t.acc[r];
    const size_t o = size_t(r) * H + j0;
    const float* cp = c_prev == nullptr ? nullptr : c_prev + o;
    lstm_update8(low8(a[0]), low8(a[1]), low8(a[2]), low8(a[3]), cp, c + o, h + o);
    lstm_update8(high8(a[0]), high8(a[1]), high8(a[2]), high8(a[3]),
                 cp == nullptr ? nullptr : cp + 8, c + o + 8, h + o + 8);
  }
}

template <int R>
FENLEI_TILE_TARGET void gru_tile(const float* panel, int H, int j0, const float* const* in,
                                 const float* b_hh, const float* h_prev, float* h) {
  Tile<R, 3> t;
#pragma GCC unroll 4
  for (int g = 0; g < 3; ++g) {
    const __m512 b = _mm512_loadu_ps(b_hh + g * H + j0);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) t.acc[r][g] = b;
  }
  t.run(panel, H, h_prev, H);
  for (int r = 0; r < R; ++r) {
    const __m512* a = t.acc[r];
    const size_t o = size_t(r) * H + j0;
    const float* hp = h_prev == nullptr ? nullptr : h_prev + o;
    const float* x = in[r] + j0;
    gru_update8(x, H, low8(a[0]), low8(a[1]), low8(a[2]), hp, h + o);
    gru_update8(x + 8, H, high8(a[0]), high8(a[1]), high8(a[2]), hp == nullptr ? nullptr : hp + 8,
                h + o + 8);
  }
}

// Calls fn(std::integral_constant<int, R>) for the R = rows (1..kTileRows) at run time.
template <int R = kTileRows, typename Fn>
void with_rows(int rows, Fn&& fn) {
  if constexpr (R > 1) {
    if (rows < R) return with_rows<R - 1>(rows, fn);
  }
  fn(std::integral_constant<int, R>());
}

// One step: every panel (outer, so it stays in L1) over the step's texts in tiles of kTileRows;
// tile(k, rows, j0, panel) runs the texts [k, k + rows) of the step.
template <typename TileFn>
void for_each_tile(const StepRows& st, int H, int panel_floats, const float* panels,
                   TileFn&& tile) {
  for (int j0 = 0; j0 < H; j0 += kPanelUnits, panels += panel_floats)
    for (int k = 0; k < st.count; k += kTileRows)
      tile(k, std::min(kTileRows, st.count - k), j0, panels);
}
#endif

}  // namespace

bool batch_inference_supported(int H) {
#if defined(__x86_64__)
  return H > 0 && H % kPanelUnits == 0 && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512dq");
#else
  (void)H;
  return false;
#endif
}

std::vector<float> pack_gate_panels(const float* w, int gates, int H, int K) {
  const int width = gates * kPanelUnits;
  std::vector<float> p(size_t(gates) * H * K);
  for (int u = 0; u < H / kPanelUnits; ++u) {
    float* panel = p.data() + size_t(u) * K * width;
    for (int k = 0; k < K; ++k)
      for (int g = 0; g < gates; ++g)
        for (int l = 0; l < kPanelUnits; ++l)
          panel[size_t(k) * width + g * kPanelUnits + l] =
              w[size_t(g * H + u * kPanelUnits + l) * K + k];
  }
  return p;
}

void lstm_batch_inference(const PackedLayout& L, const float* const* in, const float* panels,
                          int H, std::vector<float>& cell, float* h) {
#if defined(__x86_64__)
  float* c = grow(cell, size_t(std::max(L.rows(), 1)) * H);
  for_each_step(L, false, [&](const StepRows& st) {
    const size_t first = size_t(st.first), prev = size_t(st.prev);
    for_each_tile(st, H, 4 * kPanelUnits * H, panels,
                  [&](int k, int count, int j0, const float* panel) {
                    const float* hp = st.initial ? nullptr : h + (prev + k) * H;
                    const float* cp = st.initial ? nullptr : c + (prev + k) * H;
                    float* ho = h + (first + k) * H;
                    float* co = c + (first + k) * H;
                    with_rows(count, [&](auto rows) {
                      lstm_tile<rows()>(panel, H, j0, in + first + k, hp, cp, ho, co);
                    });
                  });
  });
#else
  (void)L, (void)in, (void)panels, (void)H, (void)cell, (void)h;
#endif
}

void gru_batch_inference(const PackedLayout& L, const float* const* in, const float* panels,
                         const float* b_hh, int H, float* h) {
#if defined(__x86_64__)
  for_each_step(L, false, [&](const StepRows& st) {
    const size_t first = size_t(st.first), prev = size_t(st.prev);
    for_each_tile(st, H, 3 * kPanelUnits * H, panels,
                  [&](int k, int count, int j0, const float* panel) {
                    const float* hp = st.initial ? nullptr : h + (prev + k) * H;
                    float* ho = h + (first + k) * H;
                    with_rows(count, [&](auto rows) {
                      gru_tile<rows()>(panel, H, j0, in + first + k, b_hh, hp, ho);
                    });
                  });
  });
#else
  (void)L, (void)in, (void)panels, (void)b_hh, (void)H, (void)h;
#endif
}

}  // namespace fenlei::nn
