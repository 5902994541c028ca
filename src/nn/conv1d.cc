// Fast conv block (see conv1d.h); matches conv1d_forward_ref + relu + max_pool_forward_ref.
#include "nn/conv1d.h"

#include <cblas.h>

#include <cstring>

namespace fenlei::nn {

void conv_pool_forward(const float* table, int dim, const float* w, const float* b, int width,
                       int filters, const Segment& seg, ConvScratch& s, float* feat,
                       int feat_stride) {
  const int m = seg.count;
  const int k = width * dim;
  int32_t* row_start = grow(s.row_start, m + 1);
  row_start[0] = 0;
  for (int i = 0; i < m; ++i) row_start[i + 1] = row_start[i] + conv_steps(seg.length(i), width);
  const int rows = row_start[m];
  float* col = grow(s.col, size_t(rows) * k);
  float* y = grow(s.y, size_t(rows) * filters);
  int32_t* argmax = grow(s.argmax, size_t(m) * filters);

  // im2col: row r = the width*dim embeddings of one window; pad positions read row 0.
  const size_t row_bytes = sizeof(float) * dim;
  for (int i = 0; i < m; ++i) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
    const int steps = row_start[i + 1] - row_start[i];
    float* dst = col + size_t(row_start[i]) * k;
    for (int t = 0; t < steps; ++t) {
      for (int j = 0; j < width; ++j, dst += dim) {
        const int p = t + j;
        const int32_t id = p < len ? tok[p] : 0;
        std::memcpy(dst, table + size_t(id) * dim, row_bytes);
      }
    }
  }
  // y[rows, filters] = col[rows, k] * w[filters, k]^T
  if (rows > 0)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, filters, k, 1.0f, col, k, w, k,
                0.0f, y, filters);

  // Max over each example's rows, then bias and ReLU (max commutes with +b and ReLU, so this is
  // ReLU->max with one pass over y). argmax = -1 marks a ReLU-clipped output: no gradient.
  for (int i = 0; i < m; ++i) {
    int32_t* am = argmax + size_t(i) * filters;
    float* out = feat + size_t(i) * feat_stride;
    const int r0 = row_start[i], r1 = row_start[i + 1];
    const float* yr = y + size_t(r0) * filters;
    for (int f = 0; f < filters; ++f) {
      out[f] = yr[f];
      am[f] = r0;
    }
    for (int r = r0 + 1; r < r1; ++r) {
      yr = y + size_t(r) * filters;
      for (int f = 0; f < filters; ++f) {
        const bool better = yr[f] > out[f];
        out[f] = better ? yr[f] : out[f];
        am[f] = better ? r : am[f];
      }
    }
    for (int f = 0; f < filters; ++f) {
      const float v = out[f] + b[f];
      const bool live = v > 0.0f;
      out[f] = live ? v : 0.0f;
      am[f] = live ? am[f] : -1;
    }
  }
}

void conv_pool_backward_example(const float* w, int dim, int width, int filters,
                                const ConvScratch& s, int i, const float* dfeat, float* dw,
                                float* db, float* dx) {
  const int k = width * dim;
  const int32_t* am = s.argmax.data() + size_t(i) * filters;
  const int r0 = s.row_start[i];
  for (int f = 0; f < filters; ++f) {
    const float g = dfeat[f];
    const int32_t r = am[f];
    if (r < 0 || g == 0.0f) continue;
    db[f] += g;
    // The window starting at text position (r - r0) covers dx rows [r-r0, r-r0+width), which are
    // contiguous: one axpy of width*dim for dx and one for dw.
    const float* __restrict xc = s.col.data() + size_t(r) * k;
    const float* __restrict wf = w + size_t(f) * k;
    float* __restrict dwf = dw + size_t(f) * k;
    float* __restrict dxw = dx + size_t(r - r0) * dim;
    for (int j = 0; j < k; ++j) {
      dwf[j] += g * xc[j];
      dxw[j] += g * wf[j];
    }
  }
}

}  // namespace fenlei::nn
