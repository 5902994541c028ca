#include "nn/lstm.h"

#include <cblas.h>

#include <cstring>

#include "nn/fast_math.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

// One row's gates, in place (pre-activations -> activations), cell and output. A function of
// its own so the restrict-qualified parameters let the compiler vectorise the loop.
void gates_row(float* __restrict a, float* __restrict c, float* __restrict h,
               const float* __restrict c_prev, int H) {
  for (int j = 0; j < H; ++j) {
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

}  // namespace

void lstm_forward(const PackedLayout& L, const float* x, int in, const float* w_ih,
                  const float* w_hh, const float* bias, int H, CellScratch& s, float* h) {
  const int rows = L.rows();
  if (rows == 0) return;
  const int G = 4 * H;
  float* a = grow(s.gates, size_t(rows) * G);
  float* c = grow(s.state, size_t(rows) * H);
  s.zeros.assign(size_t(H), 0.0f);
  for (int r = 0; r < rows; ++r) std::memcpy(a + size_t(r) * G, bias, sizeof(float) * size_t(G));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, G, in, 1.0f, x, in, w_ih, in, 1.0f,
              a, G);
  for (int t = 0; t < L.steps(); ++t) {
    const int r0 = L.step_offset[size_t(t)];
    const int bs = L.active(t);
    const int p0 = t > 0 ? L.step_offset[size_t(t) - 1] : 0;
    if (t > 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bs, G, H, 1.0f, h + size_t(p0) * H, H,
                  w_hh, H, 1.0f, a + size_t(r0) * G, G);
    for (int k = 0; k < bs; ++k)
      gates_row(a + size_t(r0 + k) * G, c + size_t(r0 + k) * H, h + size_t(r0 + k) * H,
                t > 0 ? c + size_t(p0 + k) * H : s.zeros.data(), H);
  }
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
  for (int t = L.steps() - 1; t >= 0; --t) {
    const int r0 = L.step_offset[size_t(t)];
    const int bs = L.active(t);
    const int p0 = t > 0 ? L.step_offset[size_t(t) - 1] : 0;
    for (int k = 0; k < bs; ++k) {
      const size_t r = size_t(r0 + k);
      const float* __restrict ar = a + r * G;
      float* __restrict dar = da + r * G;
      const float* __restrict dhr = dh + r * H;
      const float* __restrict dcr = dc + r * H;
      const float* __restrict cp = t > 0 ? c + size_t(p0 + k) * H : s.zeros.data();
      float* __restrict dcp = t > 0 ? dc + size_t(p0 + k) * H : sink;
      for (int j = 0; j < H; ++j) {
        const float i = ar[j], f = ar[H + j], g = ar[2 * H + j], o = ar[3 * H + j];
        const float tc = fast_tanh(c[r * H + j]);
        const float dcell = dcr[j] + dhr[j] * o * (1.0f - tc * tc);
        const float cprev = cp[j];
        dar[j] = dcell * g * i * (1.0f - i);
        dar[H + j] = dcell * cprev * f * (1.0f - f);
        dar[2 * H + j] = dcell * i * (1.0f - g * g);
        dar[3 * H + j] = dhr[j] * tc * o * (1.0f - o);
        dcp[j] += dcell * f;
      }
    }
    if (t > 0) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bs, H, G, 1.0f, da + size_t(r0) * G,
                  G, w_hh, H, 1.0f, dh + size_t(p0) * H, H);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, H, bs, 1.0f, da + size_t(r0) * G, G,
                  h + size_t(p0) * H, H, 1.0f, dw_hh, H);
    }
  }
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < G; ++j) dbias[j] += da[size_t(r) * G + j];
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, in, rows, 1.0f, da, G, x, in, 1.0f,
              dw_ih, in);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, G, 1.0f, da, G, w_ih, in, 0.0f,
              dx, in);
}

}  // namespace fenlei::nn
