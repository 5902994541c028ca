#include "nn/lstm.h"

#include <cstring>

#include "nn/fast_math.h"
#include "nn/recurrent_cells_avx2.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

// One row's gates, in place (pre-activations -> activations), cell and output, units [j0, H).
// A function of its own so the restrict-qualified parameters let the compiler vectorise it.
void gates_row_from(float* __restrict a, float* __restrict c, float* __restrict h,
                    const float* __restrict c_prev, int H, int j0) {
  for (int j = j0; j < H; ++j) {
    const float i = fast_sigmoid(a[j]);
    const float f = fast_sigmoid(a[H + j]);
    const float g = fast_tanh(a[2 * H + j]);
    const float o = fast_sigmoid(a[3 * H + j]);
    a[j] = i;
    a[H + j] = f;
    a[2 * H + j] = g;
    a[3 * H + j] = o;
    const float cv = f * c_prev[j] + i * g;
    c[j] = cv;
    h[j] = o * fast_tanh(cv);
  }
}

void gates_row(float* a, float* c, float* h, const float* c_prev, int H) {
  gates_row_from(a, c, h, c_prev, H, 0);
}

// One-sequence inference runs the gate loop 8 lanes wide where the CPU can (fast_math_avx2.h:
// lane for lane the scalar loop's values).
using GatesFn = void (*)(float*, float*, float*, const float*, int);
#if defined(__x86_64__)
__attribute__((target("avx2"))) void gates_row_avx2(float* a, float* c, float* h,
                                                     const float* c_prev, int H) {
  int j = 0;
  for (; j + 8 <= H; j += 8) {
    const LstmCell8 u = lstm_cell8(_mm256_loadu_ps(a + j), _mm256_loadu_ps(a + H + j),
                                   _mm256_loadu_ps(a + 2 * H + j), _mm256_loadu_ps(a + 3 * H + j),
                                   _mm256_loadu_ps(c_prev + j));
    _mm256_storeu_ps(a + j, u.i);
    _mm256_storeu_ps(a + H + j, u.f);
    _mm256_storeu_ps(a + 2 * H + j, u.g);
    _mm256_storeu_ps(a + 3 * H + j, u.o);
    _mm256_storeu_ps(c + j, u.c);
    _mm256_storeu_ps(h + j, u.h);
  }
  gates_row_from(a, c, h, c_prev, H, j);
}

GatesFn inference_gates() { return avx2_or<GatesFn>(gates_row_avx2, gates_row); }
#else
GatesFn inference_gates() { return gates_row; }
#endif

// The gradient of one row: from dh and the dc carried from the next step to the gate
// pre-activations da, adding the carried dc of the previous step into dc_prev.
void gates_row_backward(const float* __restrict a, const float* __restrict c,
                        const float* __restrict c_prev, const float* __restrict dh,
                        const float* __restrict dc, float* __restrict da,
                        float* __restrict dc_prev, int H) {
  for (int j = 0; j < H; ++j) {
    const float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
    const float tc = fast_tanh(c[j]);
    const float dcell = dc[j] + dh[j] * o * (1.0f - tc * tc);
    da[j] = dcell * g * i * (1.0f - i);
    da[H + j] = dcell * c_prev[j] * f * (1.0f - f);
    da[2 * H + j] = dcell * i * (1.0f - g * g);
    da[3 * H + j] = dh[j] * tc * o * (1.0f - o);
    dc_prev[j] += dcell * f;
  }
}

}  // namespace

void lstm_recurrence(const PackedLayout& L, const float* w_hh, int H, CellScratch& s, float* h) {
  const int rows = L.rows();
  if (rows == 0) return;
  const int G = 4 * H;
  float* a = s.gates.data();
  float* c = grow(s.state, size_t(rows) * H);
  s.zeros.assign(size_t(H), 0.0f);
  static const GatesFn gates = inference_gates();  // lane for lane gates_row
  for_each_step(L, false, [&](const StepRows& st) {
    add_hidden_projection(st, h, H, w_hh, G, a);
    for (int k = 0; k < st.count; ++k) {
      const size_t r = size_t(st.first + k);
      gates(a + r * G, c + r * H, h + r * H, st.prev_row(c, k, H, s.zeros.data()), H);
    }
  });
}

void lstm_sequence_inference(const float* const* in, int len, const float* w_hh_packed, int H,
                             std::vector<float>& scratch, float* h) {
  const int G = 4 * H;
  float* a = grow(scratch, size_t(G + 3 * H));
  float* cell[2] = {a + G, a + G + H};  // this step's and the previous step's, alternating
  float* zeros = a + G + 2 * H;
  std::memset(zeros, 0, sizeof(float) * size_t(H));
  static const GatesFn gates = inference_gates();
  for (int t = 0; t < len; ++t) {
    if (t == 0)
      std::memcpy(a, in[0], sizeof(float) * size_t(G));
    else
      gemv_packed(h + size_t(t - 1) * H, H, w_hh_packed, G, in[t], a);
    gates(a, cell[t & 1], h + size_t(t) * H, t == 0 ? zeros : cell[(t - 1) & 1], H);
  }
}

void lstm_forward(const PackedLayout& L, const float* x, int in, const float* w_ih,
                  const float* w_hh, const float* bias, int H, CellScratch& s, float* h) {
  const int rows = L.rows();
  if (rows == 0) return;
  project_rows(x, rows, in, w_ih, bias, 4 * H, grow(s.gates, size_t(rows) * 4 * H));
  lstm_recurrence(L, w_hh, H, s, h);
}

void lstm_backward(const PackedLayout& L, const float* x, int in, const float* w_ih,
                   const float* w_hh, int H, CellScratch& s, const float* h, float* dh,
                   float* dw_ih, float* dw_hh, float* dbias, float* dx) {
  const int rows = L.rows();
  if (rows == 0) return;
  const int G = 4 * H;
  const float* a = s.gates.data();
  const float* c = s.state.data();
  float* da = grow(s.dgates, size_t(rows) * G);
  float* dc = grow(s.dstate, size_t(rows) * H);
  std::memset(dc, 0, sizeof(float) * size_t(rows) * H);
  s.zeros.assign(size_t(H), 0.0f);
  float* sink = grow(s.sink, size_t(H));
  for_each_step(L, true, [&](const StepRows& st) {
    for (int k = 0; k < st.count; ++k) {
      const size_t r = size_t(st.first + k);
      gates_row_backward(a + r * G, c + r * H, st.prev_row(c, k, H, s.zeros.data()), dh + r * H,
                         dc + r * H, da + r * G, st.prev_row(dc, k, H, sink), H);
    }
    hidden_projection_backward(st, da, G, h, H, w_hh, dh, dw_hh);
  });
  project_rows_backward(da, rows, G, x, in, w_ih, dw_ih, dbias, dx);
}

}  // namespace fenlei::nn
