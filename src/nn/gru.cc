#include "nn/gru.h"

#include <cblas.h>

#include <cstring>

#include "nn/fast_math.h"
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

}  // namespace

void gru_forward(const PackedLayout& L, const float* x, int in, const float* w_ih,
                 const float* w_hh, const float* b_ih, const float* b_hh, int H, CellScratch& s,
                 float* h) {
  const int rows = L.rows();
  if (rows == 0) return;
  const int G = 3 * H;
  float* a = grow(s.gates, size_t(rows) * G);
  float* hh = grow(s.hidden, size_t(rows) * G);
  s.zeros.assign(size_t(H), 0.0f);
  for (int r = 0; r < rows; ++r) {
    std::memcpy(a + size_t(r) * G, b_ih, sizeof(float) * size_t(G));
    std::memcpy(hh + size_t(r) * G, b_hh, sizeof(float) * size_t(G));
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, G, in, 1.0f, x, in, w_ih, in, 1.0f,
              a, G);
  for (int t = 0; t < L.steps(); ++t) {
    const int r0 = L.step_offset[size_t(t)];
    const int bs = L.active(t);
    const int p0 = t > 0 ? L.step_offset[size_t(t) - 1] : 0;
    if (t > 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bs, G, H, 1.0f, h + size_t(p0) * H, H,
                  w_hh, H, 1.0f, hh + size_t(r0) * G, G);
    for (int k = 0; k < bs; ++k)
      gates_row(a + size_t(r0 + k) * G, hh + size_t(r0 + k) * G, h + size_t(r0 + k) * H,
                t > 0 ? h + size_t(p0 + k) * H : s.zeros.data(), H);
  }
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
  for (int t = L.steps() - 1; t >= 0; --t) {
    const int r0 = L.step_offset[size_t(t)];
    const int bs = L.active(t);
    const int p0 = t > 0 ? L.step_offset[size_t(t) - 1] : 0;
    for (int k = 0; k < bs; ++k) {
      const size_t r = size_t(r0 + k);
      const float* __restrict ar = a + r * G;
      const float* __restrict hr_pre = hh + r * G;
      float* __restrict dgr = dg + r * G;
      float* __restrict dhr = dhh + r * G;
      const float* __restrict dout = dh + r * H;
      const float* __restrict hp = t > 0 ? h + size_t(p0 + k) * H : s.zeros.data();
      float* __restrict dhp = t > 0 ? dh + size_t(p0 + k) * H : sink;
      for (int j = 0; j < H; ++j) {
        const float rg = ar[j], z = ar[H + j], n = ar[2 * H + j];
        const float hprev = hp[j];
        const float d = dout[j];
        const float dan = d * (1.0f - z) * (1.0f - n * n);
        const float daz = d * (hprev - n) * z * (1.0f - z);
        const float dar = dan * hr_pre[2 * H + j] * rg * (1.0f - rg);
        dgr[j] = dar;
        dgr[H + j] = daz;
        dgr[2 * H + j] = dan;
        dhr[j] = dar;
        dhr[H + j] = daz;
        dhr[2 * H + j] = dan * rg;
        dhp[j] += d * z;
      }
    }
    if (t > 0) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bs, H, G, 1.0f, dhh + size_t(r0) * G,
                  G, w_hh, H, 1.0f, dh + size_t(p0) * H, H);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, H, bs, 1.0f, dhh + size_t(r0) * G, G,
                  h + size_t(p0) * H, H, 1.0f, dw_hh, H);
    }
  }
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < G; ++j) {
      db_ih[j] += dg[size_t(r) * G + j];
      db_hh[j] += dhh[size_t(r) * G + j];
    }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, in, rows, 1.0f, dg, G, x, in, 1.0f,
              dw_ih, in);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, G, 1.0f, dg, G, w_ih, in, 0.0f,
              dx, in);
}

}  // namespace fenlei::nn
