// Winograd F(2,3) width-3 convs over ragged texts (see winograd3.h).
#include "nn/winograd3.h"

#include <cblas.h>

#include <cstddef>
#include <vector>

namespace fenlei::nn {
namespace {

// The four transformed rows of one tile from its inputs a0..a3 (zero rows outside the text).
void transform_tile(const float* __restrict a0, const float* __restrict a1,
                    const float* __restrict a2, const float* __restrict a3, int n, bool relu,
                    float* __restrict o1, float* __restrict o2, float* __restrict o3,
                    float* __restrict o4) {
  if (relu) {
    for (int c = 0; c < n; ++c) {
      const float v0 = a0[c] > 0.0f ? a0[c] : 0.0f, v1 = a1[c] > 0.0f ? a1[c] : 0.0f;
      const float v2 = a2[c] > 0.0f ? a2[c] : 0.0f, v3 = a3[c] > 0.0f ? a3[c] : 0.0f;
      o1[c] = v0 - v2;
      o2[c] = v1 + v2;
      o3[c] = v2 - v1;
      o4[c] = v1 - v3;
    }
  } else {
    for (int c = 0; c < n; ++c) {
      o1[c] = a0[c] - a2[c];
      o2[c] = a1[c] + a2[c];
      o3[c] = a2[c] - a1[c];
      o4[c] = a1[c] - a3[c];
    }
  }
}

// y[rows] (+)= b + sum of the four products' rows, one tile's two outputs (y1 may be null).
void output_tile(const float* __restrict m1, const float* __restrict m2, const float* __restrict m3,
                 const float* __restrict m4, const float* __restrict bias, int n,
                 float* __restrict y0, float* __restrict y1) {
  for (int o = 0; o < n; ++o) y0[o] = ((bias[o] + m1[o]) + m2[o]) + m3[o];
  if (y1 != nullptr)
    for (int o = 0; o < n; ++o) y1[o] = ((bias[o] + m2[o]) - m3[o]) - m4[o];
}

// d(m1..m4) of one tile from d(y0), d(y1) (e1 null: the tile's second output does not exist).
void output_tile_backward(const float* __restrict e0, const float* __restrict e1, int n,
                          float* __restrict dm1, float* __restrict dm2, float* __restrict dm3,
                          float* __restrict dm4) {
  if (e1 == nullptr) {
    for (int o = 0; o < n; ++o) {
      dm1[o] = e0[o];
      dm2[o] = e0[o];
      dm3[o] = e0[o];
      dm4[o] = 0.0f;
    }
    return;
  }
  for (int o = 0; o < n; ++o) {
    dm1[o] = e0[o];
    dm2[o] = e0[o] + e1[o];
    dm3[o] = e0[o] - e1[o];
    dm4[o] = -e1[o];
  }
}

// The four filters G1..G4 of a conv and their row strides: G1 = W0 and G4 = W2 are read from w in
// place ([c_out, 3 c_in]), G2 and G3 are the combined filters.
struct FilterSet {
  const float* g[4];
  int ld[4];
};
FilterSet filter_set(const float* w, const float* gplus, const float* gminus, int c_in) {
  const int k3 = 3 * c_in;
  return {{w, gplus, gminus, w + 2 * c_in}, {k3, c_in, c_in, k3}};
}

// A row of at least n zeros: the windows' rows outside a text. Grows once per thread, so the
// training step stays free of allocations once the widest conv has run (nn/workspace.h).
const float* zero_row(int n) {
  thread_local std::vector<float> zeros;
  if (zeros.size() < size_t(n)) zeros.assign(size_t(n), 0.0f);
  return zeros.data();
}

}  // namespace

int winograd3_tiles(const int32_t* row_start, int m) {
  int tiles = 0;
  for (int i = 0; i < m; ++i) tiles += (row_start[i + 1] - row_start[i] + 1) / 2;
  return tiles;
}

void winograd3_filters(const float* w, int c_out, int c_in, float* gplus, float* gminus) {
  const size_t k = size_t(3) * c_in;
  for (int o = 0; o < c_out; ++o) {
    const float* __restrict w0 = w + size_t(o) * k;
    const float* __restrict w1 = w0 + c_in;
    const float* __restrict w2 = w1 + c_in;
    float* __restrict gp = gplus + size_t(o) * c_in;
    float* __restrict gm = gminus + size_t(o) * c_in;
    for (int c = 0; c < c_in; ++c) {
      const float outer = w0[c] + w2[c];
      gp[c] = 0.5f * (outer + w1[c]);
      gm[c] = 0.5f * (outer - w1[c]);
    }
  }
}

void winograd3_transform_input(const float* x, int c_in, const int32_t* row_start, int m, bool relu,
                               float* d) {
  const size_t plane = size_t(winograd3_tiles(row_start, m)) * c_in;
  const float* zero = zero_row(c_in);
  size_t t = 0;
  for (int i = 0; i < m; ++i) {
    const int r0 = row_start[i], r1 = row_start[i + 1];
    auto row = [&](int q) { return q >= r0 && q < r1 ? x + size_t(q) * c_in : zero; };
    for (int p = r0; p < r1; p += 2, t += size_t(c_in))
      transform_tile(row(p - 1), row(p), row(p + 1), row(p + 2), c_in, relu, d + t, d + plane + t,
                     d + 2 * plane + t, d + 3 * plane + t);
  }
}

void winograd3_forward(const float* d, const float* w, const float* gplus, const float* gminus,
                       const float* bias, int c_out, int c_in, const int32_t* row_start, int m,
                       float* m4, float* y) {
  const int tiles = winograd3_tiles(row_start, m);
  if (tiles == 0) return;
  const size_t din = size_t(tiles) * c_in, dout = size_t(tiles) * c_out;
  const FilterSet f = filter_set(w, gplus, gminus, c_in);
  for (int j = 0; j < 4; ++j)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tiles, c_out, c_in, 1.0f, d + j * din,
                c_in, f.g[j], f.ld[j], 0.0f, m4 + j * dout, c_out);
  size_t t = 0;
  for (int i = 0; i < m; ++i) {
    const int r1 = row_start[i + 1];
    for (int p = row_start[i]; p < r1; p += 2, t += size_t(c_out))
      output_tile(m4 + t, m4 + dout + t, m4 + 2 * dout + t, m4 + 3 * dout + t, bias, c_out,
                  y + size_t(p) * c_out, p + 1 < r1 ? y + size_t(p + 1) * c_out : nullptr);
  }
}

void winograd3_backward(const Winograd3Backward& b, const float* dy, float* dw, float* db,
                        const float* gate, const float* add, float* dx) {
  const int c_out = b.c_out, c_in = b.c_in, m = b.m;
  const int32_t* rs = b.row_start;
  const int tiles = winograd3_tiles(rs, m);
  if (tiles == 0) return;
  const size_t din = size_t(tiles) * c_in, dout = size_t(tiles) * c_out;
  const int k3 = 3 * c_in;

  // d(m1..m4) per tile, and the bias gradient (the same column sums as the im2col backward).
  size_t t = 0;
  for (int i = 0; i < m; ++i) {
    const int r1 = rs[i + 1];
    for (int p = rs[i]; p < r1; p += 2, t += size_t(c_out))
      output_tile_backward(dy + size_t(p) * c_out,
                           p + 1 < r1 ? dy + size_t(p + 1) * c_out : nullptr, c_out, b.dm + t,
                           b.dm + dout + t, b.dm + 2 * dout + t, b.dm + 3 * dout + t);
  }
  const int rows = rs[m];
  for (int r = 0; r < rows; ++r) {
    const float* __restrict e = dy + size_t(r) * c_out;
    for (int o = 0; o < c_out; ++o) db[o] += e[o];
  }

  // dW: G1 = W0 and G4 = W2 straight into their columns of dw; G2, G3 through dg.
  const float* dm1 = b.dm;
  const float* dm2 = b.dm + dout;
  const float* dm3 = b.dm + 2 * dout;
  const float* dm4 = b.dm + 3 * dout;
  const float* d1 = b.d;
  const float* d2 = b.d + din;
  const float* d3 = b.d + 2 * din;
  const float* d4 = b.d + 3 * din;
  float* dg2 = b.dg;
  float* dg3 = b.dg + size_t(c_out) * c_in;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c_out, c_in, tiles, 1.0f, dm1, c_out, d1,
              c_in, 1.0f, dw, k3);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c_out, c_in, tiles, 1.0f, dm4, c_out, d4,
              c_in, 1.0f, dw + 2 * c_in, k3);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c_out, c_in, tiles, 1.0f, dm2, c_out, d2,
              c_in, 0.0f, dg2, c_in);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c_out, c_in, tiles, 1.0f, dm3, c_out, d3,
              c_in, 0.0f, dg3, c_in);
  for (int o = 0; o < c_out; ++o) {
    float* __restrict w0 = dw + size_t(o) * k3;
    float* __restrict w1 = w0 + c_in;
    float* __restrict w2 = w1 + c_in;
    const float* __restrict p2 = dg2 + size_t(o) * c_in;
    const float* __restrict p3 = dg3 + size_t(o) * c_in;
    for (int c = 0; c < c_in; ++c) {
      const float sum = 0.5f * (p2[c] + p3[c]), diff = 0.5f * (p2[c] - p3[c]);
      w0[c] += sum;
      w1[c] += diff;
      w2[c] += sum;
    }
  }

  // d(transformed windows) = dm_j G_j, then back to the rows each tile read.
  const FilterSet f = filter_set(b.w, b.gplus, b.gminus, c_in);
  for (int j = 0; j < 4; ++j)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, tiles, c_in, c_out, 1.0f,
                b.dm + j * dout, c_out, f.g[j], f.ld[j], 0.0f, b.dd + j * din, c_in);
  const float* dd1 = b.dd;
  const float* dd2 = b.dd + din;
  const float* dd3 = b.dd + 2 * din;
  const float* dd4 = b.dd + 3 * din;
  size_t tile0 = 0;  // first tile of text i
  for (int i = 0; i < m; ++i) {
    const int r0 = rs[i], len = rs[i + 1] - r0;
    for (int u = 0; u < len; ++u) {
      float* __restrict o = dx + size_t(r0 + u) * c_in;
      // The tile holding row u as its d1 (u even) or d2 (u odd).
      const size_t at = (tile0 + size_t(u / 2)) * c_in;
      if (u % 2 == 0) {  // d1 of tile u/2, and d3 of tile u/2 - 1
        const float* __restrict a = dd2 + at;
        const float* __restrict s = dd3 + at;
        const float* __restrict e = dd4 + at;
        for (int c = 0; c < c_in; ++c) o[c] = (a[c] - s[c]) + e[c];
        if (u >= 2) {
          const float* __restrict prev = dd4 + at - size_t(c_in);
          for (int c = 0; c < c_in; ++c) o[c] -= prev[c];
        }
      } else {  // d2 of tile (u-1)/2, and d0 of tile (u+1)/2
        const float* __restrict a = dd1 + at;
        const float* __restrict s = dd2 + at;
        const float* __restrict e = dd3 + at;
        for (int c = 0; c < c_in; ++c) o[c] = (s[c] - a[c]) + e[c];
        if (u + 1 < len) {
          const float* __restrict next = dd1 + at + size_t(c_in);
          for (int c = 0; c < c_in; ++c) o[c] += next[c];
        }
      }
      if (gate != nullptr) {
        const float* __restrict gr = gate + size_t(r0 + u) * c_in;
        for (int c = 0; c < c_in; ++c) o[c] = gr[c] > 0.0f ? o[c] : 0.0f;
      }
      if (add != nullptr) {
        const float* __restrict ar = add + size_t(r0 + u) * c_in;
        for (int c = 0; c < c_in; ++c) o[c] += ar[c];
      }
    }
    tile0 += size_t(len + 1) / 2;
  }
}

}  // namespace fenlei::nn
