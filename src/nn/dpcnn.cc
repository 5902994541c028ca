// Deep Pyramid CNN layers (see dpcnn.h): region conv, residual pre-activation conv stages,
// stride-2 max pooling, all over the stacked rows of ragged texts.
#include "nn/dpcnn.h"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <string>

#include "nn/max_select.h"
#include "nn/winograd3.h"

namespace fenlei::nn {
namespace {

// Scratch of at least n elements (the small per-example index arrays; the [rows, C] buffers are
// GrowOnlyArrays, see dpcnn_scratch.h). No caller needs the old contents once it grows.
template <typename T>
T* grow_to(std::vector<T>& v, size_t n) {
  if (v.size() < n) {
    std::vector<T>().swap(v);
    v.resize(n + n / 4);
  }
  return v.data();
}
template <typename T>
T* grow_to(GrowOnlyArray<T>& v, size_t n) {
  return v.grow(n);
}

// x = h, src = row: the first row of a max.
void start_max(const float* __restrict h, int32_t row, int ch, float* __restrict x,
               int32_t* __restrict src) {
  for (int f = 0; f < ch; ++f) {
    x[f] = h[f];
    src[f] = row;
  }
}

// col row r = [act(x[r-1]) | act(x[r]) | act(x[r+1])], zeros outside the row's example.
void im2col3(const float* x, int ch, const int32_t* row_start, int m, bool relu, float* col) {
  const size_t k = size_t(3) * ch;
  for (int i = 0; i < m; ++i) {
    const int r0 = row_start[i], r1 = row_start[i + 1];
    for (int r = r0; r < r1; ++r) {
      float* dst = col + size_t(r) * k;
      for (int j = 0; j < 3; ++j, dst += ch) {
        const int src = r - 1 + j;
        if (src < r0 || src >= r1) {
          std::memset(dst, 0, sizeof(float) * size_t(ch));
          continue;
        }
        const float* xs = x + size_t(src) * ch;
        if (relu) {
          for (int c = 0; c < ch; ++c) dst[c] = xs[c] > 0.0f ? xs[c] : 0.0f;
        } else {
          std::memcpy(dst, xs, sizeof(float) * size_t(ch));
        }
      }
    }
  }
}

// y[rows, out] = col[rows, kin] * w[out, kin]^T + b
void conv_gemm(const float* col, int rows, int kin, const float* w, const float* b, int out,
               float* y) {
  if (rows <= 0) return;
  for (int r = 0; r < rows; ++r) std::memcpy(y + size_t(r) * out, b, sizeof(float) * size_t(out));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, kin, 1.0f, col, kin, w, kin,
              1.0f, y, out);
}

// dw += dy^T col, db += column sums of dy, dcol = dy * w.
void conv_gemm_backward(const float* col, int rows, int kin, const float* w, int out,
                        const float* dy, float* dw, float* db, float* dcol) {
  if (rows <= 0) return;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, kin, rows, 1.0f, dy, out, col, kin,
              1.0f, dw, kin);
  for (int r = 0; r < rows; ++r) {
    const float* d = dy + size_t(r) * out;
    for (int o = 0; o < out; ++o) db[o] += d[o];
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, kin, out, 1.0f, dy, out, w, kin,
              0.0f, dcol, kin);
}

// Training's stage convs: Winograd F(2,3) on the network's float weights (nn/winograd3.h), with
// each conv's combined filters in s.wino_filters, computed by the forward for the backward.
struct TrainConvs {
  const Params* p = nullptr;
  const DpcnnIndex* idx = nullptr;
  int ch = 0;
  float* filters = nullptr;
  // Conv j (0, 1) of stage `stage`: its weight, bias and combined filters.
  const float* weight(int stage, int j) const {
    return (*p)[idx->weight[size_t(2 * stage + j)]].data.data();
  }
  const float* bias(int stage, int j) const {
    return (*p)[idx->bias[size_t(2 * stage + j)]].data.data();
  }
  float* gplus(int stage, int j) const { return filters + size_t(2 * (2 * stage + j)) * ch * ch; }
  float* gminus(int stage, int j) const { return gplus(stage, j) + size_t(ch) * ch; }
};

// The network's stage convs for a training forward and its backward: the filters live in
// s.wino_filters, whose storage the backward's call finds again (same size: no regrowth).
TrainConvs train_convs(const ModelConfig& c, const Params& p, const DpcnnIndex& idx,
                       DpcnnScratch& s) {
  TrainConvs t;
  t.p = &p;
  t.idx = &idx;
  t.ch = c.filters;
  t.filters = s.wino_filters.grow(size_t(4) * size_t(c.blocks + 1) * c.filters * c.filters);
  return t;
}

// The two pre-activation convs and the shortcut of one stage: h = x + W2 relu(W1 relu(x) + b1) +
// b2. Training (train set) keeps the Winograd windows of both convs for the backward; inference
// runs the ops' convs on im2col windows, or the ops' own window convs.
void stage_forward(const DpcnnOps& ops, const TrainConvs* train, DpcnnScratch& s, int stage, int ch,
                   DpcnnStage& st) {
  const int m = static_cast<int>(st.example.size());
  const int rows = st.row_start[size_t(m)];
  const int k = 3 * ch;
  float* c1 = grow_to(st.c1, size_t(rows) * ch);
  float* h = grow_to(st.h, size_t(rows) * ch);
  if (train) {
    const size_t n = size_t(4) * size_t(winograd3_tiles(st.row_start.data(), m)) * ch;
    float* d1 = grow_to(st.wino1, n);
    float* d2 = grow_to(st.wino2, n);
    float* mbuf = grow_to(s.wino_m, n);
    for (int j = 0; j < 2; ++j)
      winograd3_filters(train->weight(stage, j), ch, ch, train->gplus(stage, j),
                        train->gminus(stage, j));
    winograd3_transform_input(st.x.data(), ch, st.row_start.data(), m, true, d1);
    winograd3_forward(d1, train->weight(stage, 0), train->gplus(stage, 0), train->gminus(stage, 0),
                      train->bias(stage, 0), ch, ch, st.row_start.data(), m, mbuf, c1);
    winograd3_transform_input(c1, ch, st.row_start.data(), m, true, d2);
    winograd3_forward(d2, train->weight(stage, 1), train->gplus(stage, 1), train->gminus(stage, 1),
                      train->bias(stage, 1), ch, ch, st.row_start.data(), m, mbuf, h);
  } else if (ops.conv_windows) {
    ops.conv_windows(1 + 2 * stage, st.x.data(), ch, st.row_start.data(), m, c1);
    ops.conv_windows(2 + 2 * stage, c1, ch, st.row_start.data(), m, h);
  } else {
    float* col1 = grow_to(st.col1, size_t(rows) * k);
    float* col2 = grow_to(st.col2, size_t(rows) * k);
    im2col3(st.x.data(), ch, st.row_start.data(), m, true, col1);
    ops.conv(1 + 2 * stage, col1, rows, k, c1);
    im2col3(c1, ch, st.row_start.data(), m, true, col2);
    ops.conv(2 + 2 * stage, col2, rows, k, h);
  }
  const float* x = st.x.data();
  for (size_t i = 0; i < size_t(rows) * ch; ++i) h[i] += x[i];
}

// Backward of a training stage_forward: dh [rows, C] in, d(stage input) into dx [rows, C]
// (overwritten).
void stage_backward(const TrainConvs& train, const DpcnnIndex& idx, int stage, int ch,
                    const DpcnnStage& st, const float* dh, DpcnnScratch& s, Grads& g, float* dx) {
  const int m = static_cast<int>(st.example.size());
  const int rows = st.row_start[size_t(m)];
  const size_t n4 = size_t(4) * size_t(winograd3_tiles(st.row_start.data(), m)) * ch;
  float* dtmp = grow_to(s.dtmp, size_t(rows) * ch);
  Winograd3Backward b;
  b.c_out = b.c_in = ch;
  b.row_start = st.row_start.data();
  b.m = m;
  b.dm = grow_to(s.wino_m, n4);
  b.dd = grow_to(s.wino_dd, n4);
  b.dg = grow_to(s.wino_dg, size_t(2) * ch * ch);
  const int w1 = idx.weight[size_t(2 * stage)], w2 = idx.weight[size_t(2 * stage + 1)];
  const int b1 = idx.bias[size_t(2 * stage)], b2 = idx.bias[size_t(2 * stage + 1)];
  // Second conv (input relu(c1)), then the first (input relu(x), plus the shortcut's dh).
  b.d = st.wino2.data();
  b.w = train.weight(stage, 1);
  b.gplus = train.gplus(stage, 1);
  b.gminus = train.gminus(stage, 1);
  winograd3_backward(b, dh, g[w2].data.data(), g[b2].data.data(), st.c1.data(), nullptr, dtmp);
  b.d = st.wino1.data();
  b.w = train.weight(stage, 0);
  b.gplus = train.gplus(stage, 0);
  b.gminus = train.gminus(stage, 0);
  winograd3_backward(b, dtmp, g[w1].data.data(), g[b1].data.data(), st.x.data(), dh, dx);
}

// Stage 0's input through the ops' embedding rows and region conv: im2col of the embeddings
// (zero rows outside each text) and one GEMM.
void region_forward(int dim, const DpcnnOps& ops, const Segment& seg, const int32_t* rs,
                    DpcnnScratch& s, float* x0) {
  const int m = seg.count;
  const int rows0 = rs[m];
  const int k0 = 3 * dim;
  float* col0 = grow_to(s.col0, size_t(rows0) * k0);
  for (int i = 0; i < m; ++i) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
    for (int t = 0; t < rs[i + 1] - rs[i]; ++t) {
      float* dst = col0 + size_t(rs[i] + t) * k0;
      for (int j = 0; j < 3; ++j, dst += dim) {
        const int q = t - 1 + j;
        if (q < 0 || q >= len)
          std::memset(dst, 0, sizeof(float) * size_t(dim));
        else
          ops.embed_row(tok[q], dst);
      }
    }
  }
  ops.conv(0, col0, rows0, k0, x0);
}

}  // namespace

int dpcnn_length(int len, int stage) {
  int l = std::max(len, 1);
  for (int s = 0; s < stage && l > 1; ++s) l = (l + 1) / 2;
  return l;
}

int dpcnn_stages(int len, int blocks) {
  int l = std::max(len, 1), stages = 1;
  while (l > 1 && stages <= blocks) {
    l = (l + 1) / 2;
    ++stages;
  }
  return stages;
}

DpcnnIndex add_dpcnn_params(const ModelConfig& c, Params& params) {
  DpcnnIndex idx;
  const int64_t ch = c.filters;
  idx.region_weight = params.add("region/weight", {ch, 3 * int64_t(c.embed_dim)});
  idx.region_bias = params.add("region/bias", {ch});
  for (int s = 0; s <= c.blocks; ++s) {
    for (int j = 1; j <= 2; ++j) {
      const std::string name = "dpcnn" + std::to_string(s) + "/conv" + std::to_string(j);
      idx.weight.push_back(params.add(name + "/weight", {ch, 3 * ch}));
      idx.bias.push_back(params.add(name + "/bias", {ch}));
    }
  }
  return idx;
}

void init_dpcnn_params(const ModelConfig& c, const DpcnnIndex& idx, Rng& rng, Params& params) {
  auto glorot = [&rng](Tensor& t, double fan_in, double fan_out) {
    const float limit = static_cast<float>(std::sqrt(6.0 / (fan_in + fan_out)));
    for (float& x : t.data) x = rng.uniform(-limit, limit);
  };
  glorot(params[idx.region_weight], 3.0 * c.embed_dim, 3.0 * c.filters);
  for (int w : idx.weight) glorot(params[w], 3.0 * c.filters, 3.0 * c.filters);
}

namespace {
DpcnnOps float_ops(const Params& p, const DpcnnIndex& idx, int embed, int dim) {
  const float* table = p[embed].data.data();
  DpcnnOps ops;
  ops.embed_row = [table, dim](int32_t id, float* dst) {
    std::memcpy(dst, table + size_t(id) * dim, sizeof(float) * size_t(dim));
  };
  ops.conv = [&p, &idx](int layer, const float* col, int rows, int k, float* y) {
    const int w = layer == 0 ? idx.region_weight : idx.weight[size_t(layer - 1)];
    const int b = layer == 0 ? idx.region_bias : idx.bias[size_t(layer - 1)];
    conv_gemm(col, rows, k, p[w].data.data(), p[b].data.data(), static_cast<int>(p[b].numel()), y);
  };
  return ops;
}
}  // namespace

namespace {
void forward_impl(int dim, int ch, int blocks, const DpcnnOps& ops, const TrainConvs* train,
                  const Segment& seg, DpcnnScratch& s, float* feat, int feat_stride);
}  // namespace

void dpcnn_forward(const ModelConfig& c, const Params& p, const DpcnnIndex& idx, int embed,
                   const Segment& seg, DpcnnScratch& s, float* feat, int feat_stride) {
  const TrainConvs train = train_convs(c, p, idx, s);
  forward_impl(c.embed_dim, c.filters, c.blocks, float_ops(p, idx, embed, c.embed_dim), &train, seg,
               s, feat, feat_stride);
}

void dpcnn_infer(const ModelConfig& c, const Params& p, const DpcnnIndex& idx, int embed,
                 const Segment& seg, DpcnnScratch& s, float* feat, int feat_stride,
                 int max_rows) {
  dpcnn_infer_ops(c.embed_dim, c.filters, c.blocks, float_ops(p, idx, embed, c.embed_dim), seg, s,
                  feat, feat_stride, max_rows);
}

void dpcnn_infer_ops(int dim, int ch, int blocks, const DpcnnOps& ops, const Segment& seg,
                     DpcnnScratch& s, float* feat, int feat_stride, int max_rows) {
  int i0 = 0;
  while (i0 < seg.count) {
    int i1 = i0, rows = 0;
    while (i1 < seg.count) {
      const int r = std::max(seg.length(i1), 1);
      if (i1 > i0 && rows + r > max_rows) break;
      rows += r;
      ++i1;
    }
    const Segment chunk{seg.tokens(i0), seg.offsets + i0, i1 - i0};
    dpcnn_forward_ops(dim, ch, blocks, ops, chunk, s, feat + size_t(i0) * feat_stride,
                      feat_stride);
    i0 = i1;
  }
}

namespace {
// The pyramid's forward; train set: the training forward (Winograd stage convs, whatever
// dpcnn_backward reads kept in s), else inference on the ops.
void forward_impl(int dim, int ch, int blocks, const DpcnnOps& ops, const TrainConvs* train,
                  const Segment& seg, DpcnnScratch& s, float* feat, int feat_stride) {
  const int m = seg.count;
  s.backward_ready = train != nullptr;
  const int nstages = blocks + 1;
  if (s.stage.size() < size_t(nstages)) s.stage.resize(size_t(nstages));
  int32_t* final_stage = grow_to(s.final_stage, size_t(m));
  int32_t* final_row = grow_to(s.final_row, size_t(m));
  int32_t* final_src = grow_to(s.final_src, size_t(m) * ch);

  // Stage 0: every example, at max(len, 1) positions; the region conv over the embeddings.
  DpcnnStage& s0 = s.stage[0];
  s0.example.resize(size_t(m));
  int32_t* rs = grow_to(s0.row_start, size_t(m) + 1);
  rs[0] = 0;
  for (int i = 0; i < m; ++i) {
    s0.example[size_t(i)] = i;
    rs[i + 1] = rs[i] + std::max(seg.length(i), 1);
  }
  const int rows0 = rs[m];
  if (ops.region) {
    ops.region(seg, rs, grow_to(s0.x, size_t(rows0) * ch));
  } else {
    region_forward(dim, ops, seg, rs, s, grow_to(s0.x, size_t(rows0) * ch));
  }

  for (int st = 0; st < nstages; ++st) {
    DpcnnStage& cur = s.stage[size_t(st)];
    if (st > 0) {
      // Examples of the previous stage longer than one position move on, pooled to half.
      const DpcnnStage& prev = s.stage[size_t(st - 1)];
      const int pm = static_cast<int>(prev.example.size());
      cur.example.clear();
      grow_to(cur.row_start, size_t(pm) + 1);
      cur.row_start[0] = 0;
      for (int j = 0; j < pm; ++j) {
        const int plen = prev.row_start[size_t(j) + 1] - prev.row_start[size_t(j)];
        if (plen <= 1) continue;
        const size_t a = cur.example.size();
        cur.example.push_back(prev.example[size_t(j)]);
        cur.row_start[a + 1] = cur.row_start[a] + (plen + 1) / 2;
      }
      const int cm = static_cast<int>(cur.example.size());
      if (cm == 0) break;
      const int rows = cur.row_start[size_t(cm)];
      float* x = grow_to(cur.x, size_t(rows) * ch);
      int32_t* src = grow_to(cur.pool_src, size_t(rows) * ch);
      int a = 0;
      for (int j = 0; j < pm; ++j) {
        const int p0 = prev.row_start[size_t(j)], p1 = prev.row_start[size_t(j) + 1];
        if (p1 - p0 <= 1) continue;
        for (int r = cur.row_start[size_t(a)]; r < cur.row_start[size_t(a) + 1]; ++r) {
          const int first = p0 + 2 * (r - cur.row_start[size_t(a)]);
          const int last = std::min(first + 3, p1);
          float* xo = x + size_t(r) * ch;
          int32_t* so = src + size_t(r) * ch;
          start_max(prev.h.data() + size_t(first) * ch, first, ch, xo, so);
          for (int q = first + 1; q < last; ++q)
            max_into(prev.h.data() + size_t(q) * ch, q, ch, xo, so);
        }
        ++a;
      }
    }
    stage_forward(ops, train, s, st, ch, cur);
    // Examples that end here (one position left, or no block left): their feature.
    const int cm = static_cast<int>(cur.example.size());
    for (int j = 0; j < cm; ++j) {
      const int r0 = cur.row_start[size_t(j)], r1 = cur.row_start[size_t(j) + 1];
      if (r1 - r0 > 1 && st + 1 < nstages) continue;
      const int i = cur.example[size_t(j)];
      final_stage[i] = st;
      final_row[i] = r0;
      float* out = feat + size_t(i) * feat_stride;
      int32_t* src = final_src + size_t(i) * ch;
      start_max(cur.h.data() + size_t(r0) * ch, r0, ch, out, src);
      for (int r = r0 + 1; r < r1; ++r) max_into(cur.h.data() + size_t(r) * ch, r, ch, out, src);
    }
  }
}

}  // namespace

void dpcnn_forward_ops(int dim, int ch, int blocks, const DpcnnOps& ops, const Segment& seg,
                       DpcnnScratch& s, float* feat, int feat_stride) {
  forward_impl(dim, ch, blocks, ops, nullptr, seg, s, feat, feat_stride);
}

void dpcnn_backward(const ModelConfig& c, const Params& p, const DpcnnIndex& idx, int embed,
                    const Segment& seg, const float* dfeat, int feat_stride, DpcnnScratch& s,
                    Grads& g) {
  const int m = seg.count;
  const int ch = c.filters;
  const int dim = c.embed_dim;
  const int nstages = c.blocks + 1;
  assert(s.backward_ready && "dpcnn_backward follows dpcnn_forward (a training forward)");
  // The filters dpcnn_forward computed into s (train_convs hands back the same storage).
  const TrainConvs train = train_convs(c, p, idx, s);
  // Deepest stage any example reached.
  int top = 0;
  for (int i = 0; i < m; ++i) top = std::max(top, int(s.final_stage[size_t(i)]));
  // dnext holds d(input) of stage st+1 (its pooled x) while stage st is processed.
  for (int st = top; st >= 0; --st) {
    const DpcnnStage& cur = s.stage[size_t(st)];
    const int cm = static_cast<int>(cur.example.size());
    const int rows = cur.row_start[size_t(cm)];
    const size_t n = size_t(rows) * ch;
    float* dh = grow_to(s.dh, n);
    std::memset(dh, 0, sizeof(float) * n);
    for (int j = 0; j < cm; ++j) {
      const int i = cur.example[size_t(j)];
      if (s.final_stage[size_t(i)] != st) continue;
      const float* df = dfeat + size_t(i) * feat_stride;
      const int32_t* src = s.final_src.data() + size_t(i) * ch;
      for (int f = 0; f < ch; ++f) dh[size_t(src[f]) * ch + f] += df[f];
    }
    if (st < top && st + 1 < nstages) {
      const DpcnnStage& next = s.stage[size_t(st + 1)];
      const int next_rows = next.row_start[next.example.size()];
      for (int r = 0; r < next_rows; ++r) {
        const int32_t* src = next.pool_src.data() + size_t(r) * ch;
        const float* dn = s.dnext.data() + size_t(r) * ch;
        for (int f = 0; f < ch; ++f) dh[size_t(src[f]) * ch + f] += dn[f];
      }
    }
    // dnext was consumed above: it now receives d(stage input) for the stage below.
    stage_backward(train, idx, st, ch, cur, dh, s, g, grow_to(s.dnext, n));
  }
  // Region conv: d(region output) is in dnext [rows0, C].
  const DpcnnStage& s0 = s.stage[0];
  const int rows0 = s0.row_start[size_t(m)];
  const int k0 = 3 * dim;
  float* dcol = grow_to(s.dcol, size_t(rows0) * k0);
  conv_gemm_backward(s.col0.data(), rows0, k0, p[idx.region_weight].data.data(), ch,
                     s.dnext.data(), g[idx.region_weight].data.data(),
                     g[idx.region_bias].data.data(), dcol);
  // Each window's slice j belongs to token t-1+j; zero positions (outside the text) have no row.
  for (int i = 0; i < m; ++i) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
    const int r0 = s0.row_start[size_t(i)];
    for (int q = 0; q < len; ++q) {
      float* __restrict row = g.touch_row(embed, tok[q]);
      for (int j = 0; j < 3; ++j) {
        const int t = q + 1 - j;  // window whose slice j reads token q
        if (t < 0 || t >= len) continue;
        const float* __restrict src = dcol + size_t(r0 + t) * k0 + size_t(j) * dim;
        for (int d = 0; d < dim; ++d) row[d] += src[d];
      }
    }
  }
}

}  // namespace fenlei::nn
