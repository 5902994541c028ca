#include "nn/gru.h"

#include <cstring>

#include "nn/fast_math.h"
#include "nn/recurrent_cells_avx2.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

// One row's gates in place (input-side pre-activations -> r, z, n) and output, units [j0, H);
// restrict-qualified parameters so the loop vectorises.
void gates_row_from(float* __restrict a, const float* __restrict hidden_pre, float* __restrict h,
                    const float* __restrict h_prev, int H, int j0) {
  for (int j = j0; j < H; ++j) {
    const float rg = fast_sigmoid(a[j] + hidden_pre[j]);
    const float z = fast_sigmoid(a[H + j] + hidden_pre[H + j]);
    const float n = fast_tanh(a[2 * H + j] + rg * hidden_pre[2 * H + j]);
    a[j] = rg;
    a[H + j] = z;
    a[2 * H + j] = n;
    h[j] = (1.0f - z) * n + z * h_prev[j];
  }
}

void gates_row(float* a, const float* hidden_pre, float* h, const float* h_prev, int H) {
  gates_row_from(a, hidden_pre, h, h_prev, H, 0);
}

// As in lstm.cc: the one-sequence inference path's gate loop, 8 lanes wide where the CPU can.
using GatesFn = void (*)(float*, const float*, float*, const float*, int);
#if defined(__x86_64__)
__attribute__((target("avx2"))) void gates_row_avx2(float* a, const float* hidden_pre, float* h,
                                                     const float* h_prev, int H) {
  int j = 0;
  for (; j + 8 <= H; j += 8) {
    const GruCell8 u = gru_cell8(
        _mm256_loadu_ps(a + j), _mm256_loadu_ps(a + H + j), _mm256_loadu_ps(a + 2 * H + j),
        _mm256_loadu_ps(hidden_pre + j), _mm256_loadu_ps(hidden_pre + H + j),
        _mm256_loadu_ps(hidden_pre + 2 * H + j), _mm256_loadu_ps(h_prev + j));
    _mm256_storeu_ps(a + j, u.r);
    _mm256_storeu_ps(a + H + j, u.z);
    _mm256_storeu_ps(a + 2 * H + j, u.n);
    _mm256_storeu_ps(h + j, u.h);
  }
  gates_row_from(a, hidden_pre, h, h_prev, H, j);
}

GatesFn inference_gates() { return avx2_or<GatesFn>(gates_row_avx2, gates_row); }
#else
GatesFn inference_gates() { return gates_row; }
#endif

// The gradient of one row: from dh (the output's gradient) to the input-side pre-activations
// dg and the hidden-side ones dhh, adding the part that flows straight to h_prev into dh_prev.
void gates_row_backward(const float* __restrict a, const float* __restrict hidden_pre,
                        const float* __restrict dout, const float* __restrict h_prev,
                        float* __restrict dg, float* __restrict dhh, float* __restrict dh_prev,
                        int H) {
  for (int j = 0; j < H; ++j) {
    const float rg = a[j], z = a[H + j], n = a[2 * H + j];
    const float d = dout[j];
    const float dan = d * (1.0f - z) * (1.0f - n * n);
    const float daz = d * (h_prev[j] - n) * z * (1.0f - z);
    const float dar = dan * hidden_pre[2 * H + j] * rg * (1.0f - rg);
    dg[j] = dar;
    dg[H + j] = daz;
    dg[2 * H + j] = dan;
    dhh[j] = dar;
    dhh[H + j] = daz;
    dhh[2 * H + j] = dan * rg;
    dh_prev[j] += d * z;
  }
}

}  // namespace

void gru_recurrence(const PackedLayout& L, const float* w_hh, const float* b_hh, int H,
                    CellScratch& s, float* h) {
  const int rows = L.rows();
  if (rows == 0) return;
  const int G = 3 * H;
  float* a = s.gates.data();
  float* hh = grow(s.hidden, size_t(rows) * G);
  s.zeros.assign(size_t(H), 0.0f);
  fill_rows(b_hh, rows, G, hh);
  static const GatesFn gates = inference_gates();  // lane for lane gates_row
  for_each_step(L, false, [&](const StepRows& st) {
    add_hidden_projection(st, h, H, w_hh, G, hh);
    for (int k = 0; k < st.count; ++k) {
      const size_t r = size_t(st.first + k);
      gates(a + r * G, hh + r * G, h + r * H, st.prev_row(h, k, H, s.zeros.data()), H);
    }
  });
}

void gru_sequence_inference(const float* const* in, int len, const float* w_hh_packed,
                            const float* b_hh, int H, std::vector<float>& scratch, float* h) {
  const int G = 3 * H;
  float* a = grow(scratch, size_t(2 * G + H));
  float* hh = a + G;
  float* zeros = hh + G;
  std::memset(zeros, 0, sizeof(float) * size_t(H));
  static const GatesFn gates = inference_gates();
  for (int t = 0; t < len; ++t) {
    std::memcpy(a, in[t], sizeof(float) * size_t(G));  // the cached row stays untouched
    if (t == 0)
      std::memcpy(hh, b_hh, sizeof(float) * size_t(G));
    else
      gemv_packed(h + size_t(t - 1) * H, H, w_hh_packed, G, b_hh, hh);
    gates(a, hh, h + size_t(t) * H, t == 0 ? zeros : h + size_t(t - 1) * H, H);
  }
}

void gru_forward(const PackedLayout& L, const float* x, int in, const float* w_ih,
                 const float* w_hh, const float* b_ih, const float* b_hh, int H, CellScratch& s,
                 float* h) {
  const int rows = L.rows();
  if (rows == 0) return;
  project_rows(x, rows, in, w_ih, b_ih, 3 * H, grow(s.gates, size_t(rows) * 3 * H));
  gru_recurrence(L, w_hh, b_hh, H, s, h);
}

void gru_backward(const PackedLayout& L, const float* x, int in, const float* w_ih,
                  const float* w_hh, int H, CellScratch& s, const float* h, float* dh,
                  float* dw_ih, float* dw_hh, float* db_ih, float* db_hh, float* dx) {
  const int rows = L.rows();
  if (rows == 0) return;
  const int G = 3 * H;
  const float* a = s.gates.data();
  const float* hh = s.hidden.data();
  float* dg = grow(s.dgates, size_t(rows) * G);
  float* dhh = grow(s.dhidden, size_t(rows) * G);
  s.zeros.assign(size_t(H), 0.0f);
  float* sink = grow(s.sink, size_t(H));
  for_each_step(L, true, [&](const StepRows& st) {
    for (int k = 0; k < st.count; ++k) {
      const size_t r = size_t(st.first + k);
      gates_row_backward(a + r * G, hh + r * G, dh + r * H, st.prev_row(h, k, H, s.zeros.data()),
                         dg + r * G, dhh + r * G, st.prev_row(dh, k, H, sink), H);
    }
    hidden_projection_backward(st, dhh, G, h, H, w_hh, dh, dw_hh);
  });
  add_column_sums(dhh, rows, G, db_hh);
  project_rows_backward(dg, rows, G, x, in, w_ih, dw_ih, db_ih, dx);
}

}  // namespace fenlei::nn
