#include "nn/gru.h"

#include "nn/fast_math.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

// One row's gates in place (input-side pre-activations -> r, z, n) and output; restrict-qualified
// parameters so the loop vectorises.
void gates_row(float* __restrict a, const float* __restrict hidden_pre, float* __restrict h,
               const float* __restrict h_prev, int H) {
  for (int j = 0; j < H; ++j) {
    const float rg = fast_sigmoid(a[j] + hidden_pre[j]);
    const float z = fast_sigmoid(a[H + j] + hidden_pre[H + j]);
    const float n = fast_tanh(a[2 * H + j] + rg * hidden_pre[2 * H + j]);
    a[j] = rg;
    a[H + j] = z;
    a[2 * H + j] = n;
    h[j] = (1.0f - z) * n + z * h_prev[j];
  }
}

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
  for_each_step(L, false, [&](const StepRows& st) {
    add_hidden_projection(st, h, H, w_hh, G, hh);
    for (int k = 0; k < st.count; ++k) {
      const size_t r = size_t(st.first + k);
      gates_row(a + r * G, hh + r * G, h + r * H, st.prev_row(h, k, H, s.zeros.data()), H);
    }
  });
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
