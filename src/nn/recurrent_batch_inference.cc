#include "nn/recurrent_batch_inference.h"

#include <algorithm>

#include "nn/recurrent_cells_avx2.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

constexpr int kTileRows = 2;  // texts per tile: 2 x 4 gates = 8 accumulators, 8 FMA chains

#if defined(__x86_64__)
// Accumulators acc[r][g] of R texts x `Gates` gates (8 units each) for the panel of units
// [j0, j0+8): acc = init[r] (or init_shared), then += h_prev[r] . panel, k = 0..K-1 in order, one
// fused multiply-add each (gemv_packed's order). h_prev == nullptr: step 0, nothing to add.
template <int R, int Gates>
struct Tile {
  __m256 acc[R][Gates];

  __attribute__((target("avx2,fma"), always_inline)) inline void run(
      const float* panel, int K, const float* h_prev, int H) {
    if (h_prev == nullptr) return;
    constexpr int kWidth = Gates * kPanelUnits;
    for (int k = 0; k < K; ++k, panel += kWidth) {
      __m256 w[Gates];
#pragma GCC unroll 4
      for (int g = 0; g < Gates; ++g) w[g] = _mm256_loadu_ps(panel + kPanelUnits * g);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const __m256 x = _mm256_broadcast_ss(h_prev + size_t(r) * H + k);
#pragma GCC unroll 4
        for (int g = 0; g < Gates; ++g) acc[r][g] = _mm256_fmadd_ps(x, w[g], acc[r][g]);
      }
    }
  }
};

// R texts of one LSTM step, units [j0, j0+8): rows in[0..R), outputs h/c rows 0..R of the
// given bases (stride H), previous states h_prev/c_prev (null at step 0).
template <int R>
__attribute__((target("avx2,fma"))) void lstm_tile(const float* panel, int H, int j0,
                                                   const float* const* in, const float* h_prev,
                                                   const float* c_prev, float* h, float* c) {
  Tile<R, 4> t;
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) t.acc[r][g] = _mm256_loadu_ps(in[r] + g * H + j0);
  t.run(panel, H, h_prev, H);
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    const size_t o = size_t(r) * H + j0;
    const __m256 cp = c_prev == nullptr ? _mm256_setzero_ps() : _mm256_loadu_ps(c_prev + o);
    const LstmCell8 u = lstm_cell8(t.acc[r][0], t.acc[r][1], t.acc[r][2], t.acc[r][3], cp);
    _mm256_storeu_ps(c + o, u.c);
    _mm256_storeu_ps(h + o, u.h);
  }
}

template <int R>
__attribute__((target("avx2,fma"))) void gru_tile(const float* panel, int H, int j0,
                                                  const float* const* in, const float* b_hh,
                                                  const float* h_prev, float* h) {
  Tile<R, 3> t;
#pragma GCC unroll 4
  for (int g = 0; g < 3; ++g) {
    const __m256 b = _mm256_loadu_ps(b_hh + g * H + j0);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) t.acc[r][g] = b;
  }
  t.run(panel, H, h_prev, H);
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    const size_t o = size_t(r) * H + j0;
    const __m256 hp = h_prev == nullptr ? _mm256_setzero_ps() : _mm256_loadu_ps(h_prev + o);
    const float* x = in[r] + j0;
    const GruCell8 u = gru_cell8(_mm256_loadu_ps(x), _mm256_loadu_ps(x + H),
                                 _mm256_loadu_ps(x + 2 * H), t.acc[r][0], t.acc[r][1],
                                 t.acc[r][2], hp);
    _mm256_storeu_ps(h + o, u.h);
  }
}

// One step: every panel (outer, so it stays in L1) over the step's texts in tiles of kTileRows.
// Tile(rows k.., count, j0, panel) runs the texts [k, k + count) of the step.
template <typename TileFn>
void for_each_tile(const StepRows& st, int H, int panel_floats, const float* panels,
                   TileFn&& tile) {
  for (int j0 = 0; j0 < H; j0 += kPanelUnits, panels += panel_floats) {
    int k = 0;
    for (; k + kTileRows <= st.count; k += kTileRows) tile(k, kTileRows, j0, panels);
    if (k < st.count) tile(k, 1, j0, panels);
  }
}
#endif

}  // namespace

bool batch_inference_supported(int H) {
#if defined(__x86_64__)
  return H > 0 && H % kPanelUnits == 0 && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma");
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
                    if (count == kTileRows)
                      lstm_tile<kTileRows>(panel, H, j0, in + first + k, hp, cp, ho, co);
                    else
                      lstm_tile<1>(panel, H, j0, in + first + k, hp, cp, ho, co);
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
                    if (count == kTileRows)
                      gru_tile<kTileRows>(panel, H, j0, in + first + k, b_hh, hp, ho);
                    else
                      gru_tile<1>(panel, H, j0, in + first + k, b_hh, hp, ho);
                  });
  });
#else
  (void)L, (void)in, (void)panels, (void)b_hh, (void)H, (void)h;
#endif
}

}  // namespace fenlei::nn
