#include "nn/recurrent_encoder.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nn/attention_pool.h"
#include "nn/fast_math.h"
#include "nn/gru.h"
#include "nn/lstm.h"
#include "nn/max_select.h"
#include "nn/recurrent_batch_inference.h"
#include "nn/recurrent_steps.h"
#include "nn/recurrent_token_projection.h"
#include "nn/tanh_row.h"

namespace fenlei::nn {
namespace {

// Width of one token's row in s.out: the pooling input (birnn) or the projection input (rcnn).
int out_width(const ModelConfig& c) {
  return c.arch == Arch::kRcnn ? 2 * c.rnn_hidden + c.embed_dim : 2 * c.rnn_hidden;
}

// Max over the len rows of x:[len, dim] per column into feat, winners into argmax (-1, 0 if empty;
// the first row holding the maximum). Row by row, so the reads are sequential (column by column
// each read was a row apart: rcnn's pooling was 7% of its batches); per column the same
// comparisons in the same order as a column-wise scan.
void max_pool(const float* x, int len, int dim, float* feat, int32_t* argmax) {
  if (len == 0) {
    std::fill(feat, feat + dim, 0.0f);
    std::fill(argmax, argmax + dim, -1);
    return;
  }
  std::copy(x, x + dim, feat);
  std::fill(argmax, argmax + dim, 0);
  for (int p = 1; p < len; ++p) max_into(x + size_t(p) * dim, p, dim, feat, argmax);
}

// Embedding row `id` into dst (embed_dim floats): from `source`, or the network's float table.
void fetch_embedding(const Network& net, const EmbeddingSource* source, int32_t id, float* dst) {
  if (source != nullptr) {
    source->row(source->context, id, dst);
    return;
  }
  const int d = net.config().embed_dim;
  std::memcpy(dst, net.params()[net.embed_index()].values() + size_t(id) * d,
              sizeof(float) * size_t(d));
}

// Both directions' outputs s.h[dir] (packed order) from the cached input-gate rows: a single
// text through the one-sequence recurrence (no GEMM), a batch by copying the rows into the
// packed gate buffers and running the batched recurrence.
void cached_recurrence(const Network& net, const Segment& seg, const RecurrentTokenProjection& cache,
                       const EmbeddingSource* source, const InputProjection* projection,
                       const HiddenRecurrence* recurrence, RecurrentScratch& s) {
  const ModelConfig& c = net.config();
  const Params& P = net.params();
  const RecurrentIndex& ri = net.recurrent();
  const int H = c.rnn_hidden, G = cache.gate_floats(), m = seg.count;
  const bool lstm = c.cell == Cell::kLstm;
  const PackedLayout& L = s.layout;
  const int rows = L.rows();
  cache.gather(seg, source, projection, s.cached);
  const float* const* tok_rows = s.cached.rows.data();
  for (int dir = 0; dir < 2; ++dir) {
    float* h = grow(s.h[dir], size_t(std::max(rows, 1)) * H);
    if (recurrence != nullptr) {  // rows read in place, packed order
      const float** in = grow(s.cached.packed, size_t(std::max(rows, 1)));
      for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i) {
        const int len = seg.length(i);
        for (int t = 0; t < len; ++t)
          in[L.row(i, t)] = tok_rows[q0 + (dir == 0 ? t : len - 1 - t)] + size_t(dir) * G;
      }
      recurrence->run(recurrence->context, dir, L, in, s.cell[dir], h);
      continue;
    }
    if (m == 1 && cache.w_hh_packed(dir) != nullptr) {  // packed row t = step t
      const int len = rows;
      const float** in = grow(s.cached.steps, size_t(std::max(len, 1)));
      for (int t = 0; t < len; ++t) in[t] = tok_rows[dir == 0 ? t : len - 1 - t] + size_t(dir) * G;
      if (lstm)
        lstm_sequence_inference(in, len, cache.w_hh_packed(dir), H, s.cached.step, h);
      else
        gru_sequence_inference(in, len, cache.w_hh_packed(dir), P[ri.b_hh[dir]].values(), H,
                               s.cached.step, h);
      continue;
    }
    if (rows == 0) continue;
    if (const float* panels = cache.w_hh_panels(dir)) {  // fused steps, rows read in place
      const float** in = grow(s.cached.packed, size_t(rows));
      for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i) {
        const int len = seg.length(i);
        for (int t = 0; t < len; ++t)
          in[L.row(i, t)] = tok_rows[q0 + (dir == 0 ? t : len - 1 - t)] + size_t(dir) * G;
      }
      if (lstm)
        lstm_batch_inference(L, in, panels, H, s.cell[dir].state, h);
      else
        gru_batch_inference(L, in, panels, P[ri.b_hh[dir]].values(), H, h);
      continue;
    }
    float* gates = grow(s.cell[dir].gates, size_t(rows) * G);
    for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i) {
      const int len = seg.length(i);
      for (int t = 0; t < len; ++t)
        std::memcpy(gates + size_t(L.row(i, t)) * G,
                    tok_rows[q0 + (dir == 0 ? t : len - 1 - t)] + size_t(dir) * G,
                    sizeof(float) * size_t(G));
    }
    if (lstm)
      lstm_recurrence(L, P[ri.w_hh[dir]].values(), H, s.cell[dir], h);
    else
      gru_recurrence(L, P[ri.w_hh[dir]].values(), P[ri.b_hh[dir]].values(), H, s.cell[dir], h);
  }
}

// Both directions' outputs s.h[dir] (packed order) without the cache: embeddings gathered into
// packed order, then the input projection (the network's W_ih, or `projection`) and the batched
// recurrence.
void uncached_recurrence(const Network& net, const Segment& seg, const EmbeddingSource* source,
                         const InputProjection* projection, const HiddenRecurrence* recurrence,
                         RecurrentScratch& s) {
  const ModelConfig& c = net.config();
  const Params& P = net.params();
  const RecurrentIndex& ri = net.recurrent();
  const int d = c.embed_dim, H = c.rnn_hidden, m = seg.count;
  const PackedLayout& L = s.layout;
  const int rows = L.rows();
  for (int dir = 0; dir < 2; ++dir) {
    float* x = grow(s.x[dir], size_t(rows) * d);
    for (int i = 0; i < m; ++i) {
      const int len = seg.length(i);
      const int32_t* tok = seg.tokens(i);
      for (int t = 0; t < len; ++t)
        fetch_embedding(net, source, tok[dir == 0 ? t : len - 1 - t], x + size_t(L.row(i, t)) * d);
    }
    float* h = grow(s.h[dir], size_t(rows) * H);
    const int G = (c.cell == Cell::kLstm ? 4 : 3) * H;
    if (recurrence != nullptr) {
      if (rows == 0) continue;
      float* gates = grow(s.cell[dir].gates, size_t(rows) * G);
      if (projection != nullptr)
        projection->project(projection->context, dir, x, rows, gates);
      else
        project_rows(x, rows, d, P[ri.w_ih[dir]].values(), P[ri.b_ih[dir]].values(), G, gates);
      const float** in = grow(s.cached.packed, size_t(rows));
      for (int r = 0; r < rows; ++r) in[r] = gates + size_t(r) * G;
      recurrence->run(recurrence->context, dir, L, in, s.cell[dir], h);
      continue;
    }
    if (projection != nullptr && rows > 0) {
      projection->project(projection->context, dir, x, rows,
                          grow(s.cell[dir].gates, size_t(rows) * G));
      if (c.cell == Cell::kLstm)
        lstm_recurrence(L, P[ri.w_hh[dir]].data.data(), H, s.cell[dir], h);
      else
        gru_recurrence(L, P[ri.w_hh[dir]].data.data(), P[ri.b_hh[dir]].data.data(), H,
                       s.cell[dir], h);
      continue;
    }
    if (c.cell == Cell::kLstm)
      lstm_forward(L, x, d, P[ri.w_ih[dir]].data.data(), P[ri.w_hh[dir]].data.data(),
                   P[ri.b_ih[dir]].data.data(), H, s.cell[dir], h);
    else
      gru_forward(L, x, d, P[ri.w_ih[dir]].data.data(), P[ri.w_hh[dir]].data.data(),
                  P[ri.b_ih[dir]].data.data(), P[ri.b_hh[dir]].data.data(), H, s.cell[dir], h);
  }
}

}  // namespace

void recurrent_features_forward(const Network& net, const Segment& seg, RecurrentScratch& s,
                                float* feat, int fd, const EmbeddingSource* source,
                                const InputProjection* projection,
                                const RecurrentTokenProjection* cache,
                                const HiddenRecurrence* recurrence,
                                const RcnnProjection* rcnn_projection) {
  const ModelConfig& c = net.config();
  const Params& P = net.params();
  const RecurrentIndex& ri = net.recurrent();
  const int d = c.embed_dim, H = c.rnn_hidden, m = seg.count;
  PackedLayout& L = s.layout;
  build_packed_layout(seg, &L);
  const int rows = L.rows();  // = tokens in the segment
  if (cache != nullptr)
    cached_recurrence(net, seg, *cache, source, projection, recurrence, s);
  else
    uncached_recurrence(net, seg, source, projection, recurrence, s);
  // Per-token rows in text order.
  const int F = out_width(c);
  const bool rcnn = c.arch == Arch::kRcnn;
  float* out = grow(s.out, size_t(std::max(rows, 1)) * F);
  const float* h0 = s.h[0].data();
  const float* h1 = s.h[1].data();
  // Text i's rows into out from row q0 on.
  constexpr int kAhead = 3;
  auto assemble = [&](int i, int q0) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
    for (int p = 0; p < len; ++p) {
      float* o = out + size_t(q0 + p) * F;
      if (!rcnn) {
        // The rows are scattered through the packed outputs (written steps ago, out of cache):
        // start loading those of a few tokens ahead.
        if (p + kAhead < len) {
          const float* a = h0 + size_t(L.row(i, p + kAhead)) * H;
          const float* b = h1 + size_t(L.row(i, len - 1 - p - kAhead)) * H;
          for (int k = 0; k < H; k += 16) {
            __builtin_prefetch(a + k);
            __builtin_prefetch(b + k);
          }
        }
        std::memcpy(o, h0 + size_t(L.row(i, p)) * H, sizeof(float) * size_t(H));
        std::memcpy(o + H, h1 + size_t(L.row(i, len - 1 - p)) * H, sizeof(float) * size_t(H));
        continue;
      }
      if (p > 0)
        std::memcpy(o, h0 + size_t(L.row(i, p - 1)) * H, sizeof(float) * size_t(H));
      else
        std::fill(o, o + H, 0.0f);
      fetch_embedding(net, source, tok[p], o + H);
      if (p + 1 < len)
        std::memcpy(o + H + d, h1 + size_t(L.row(i, len - 2 - p)) * H, sizeof(float) * size_t(H));
      else
        std::fill(o + H + d, o + H + d + H, 0.0f);
    }
  };
  int32_t* argmax = grow(s.argmax, size_t(m) * fd);
  if (rcnn) {
    float* y = grow(s.proj, size_t(std::max(rows, 1)) * fd);
    if (rcnn_projection != nullptr) {
      // Text by text while its rows are in cache: the projection computes each row on its own
      // (int8: exact sums, a per-row scale), so the bits are those of one call over all rows.
      for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i) {
        assemble(i, q0);
        const int len = seg.length(i);
        float* yi = y + size_t(q0) * fd;
        if (len > 0) rcnn_projection->project(rcnn_projection->context, out + size_t(q0) * F, len, yi);
        tanh_row(yi, yi, len * fd);
        max_pool(yi, len, fd, feat + size_t(i) * fd, argmax + size_t(i) * fd);
      }
      return;
    }
    for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i) assemble(i, q0);
    {
      const float* b = P[ri.proj_bias].data.data();
      for (int q = 0; q < rows; ++q) std::memcpy(y + size_t(q) * fd, b, sizeof(float) * size_t(fd));
      if (rows > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, fd, F, 1.0f, out, F,
                    P[ri.proj_weight].data.data(), F, 1.0f, y, fd);
    }
    tanh_row(y, y, rows * fd);  // fast_tanh, 16 or 8 lanes at a time
    for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i)
      max_pool(y + size_t(q0) * fd, seg.length(i), fd, feat + size_t(i) * fd,
               argmax + size_t(i) * fd);
    return;
  }
  // Each text pooled right after its rows are assembled, while they are still in cache (a
  // batch's rows, 1 KiB a token at H = 128, are far larger than the caches).
  float* tanh_out = grow(s.tanh_out, size_t(std::max(rows, 1)) * F);
  float* alpha = grow(s.alpha, size_t(std::max(rows, 1)));
  for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i) {
    assemble(i, q0);
    const int len = seg.length(i);
    const float* o = out + size_t(q0) * F;
    float* f = feat + size_t(i) * fd;
    switch (c.pooling) {
      case Pooling::kAttention:
        attention_pool_forward(o, len, F, P[ri.attention].data.data(), tanh_out + size_t(q0) * F,
                               alpha + q0, f);
        break;
      case Pooling::kMax:
        max_pool(o, len, F, f, argmax + size_t(i) * fd);
        break;
      case Pooling::kLast:
        // The forward direction ends at the last token, the backward one at the first.
        if (len == 0) {
          std::fill(f, f + F, 0.0f);
        } else {
          std::memcpy(f, o + size_t(len - 1) * F, sizeof(float) * size_t(H));
          std::memcpy(f + H, o + H, sizeof(float) * size_t(H));
        }
        break;
    }
  }
}

void recurrent_features_backward(const Network& net, const Segment& seg, const float* dfeat,
                                 int fd, RecurrentScratch& s, Grads& g) {
  const ModelConfig& c = net.config();
  const Params& P = net.params();
  const RecurrentIndex& ri = net.recurrent();
  const int d = c.embed_dim, H = c.rnn_hidden, m = seg.count;
  const PackedLayout& L = s.layout;
  const int rows = L.rows();
  if (rows == 0) return;
  const int F = out_width(c);
  const bool rcnn = c.arch == Arch::kRcnn;
  const float* out = s.out.data();
  float* dout = grow(s.dout, size_t(rows) * F);
  const int32_t* argmax = s.argmax.data();
  if (rcnn) {
    const float* y = s.proj.data();
    float* dy = grow(s.dproj, size_t(rows) * fd);
    std::memset(dy, 0, sizeof(float) * size_t(rows) * fd);
    for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i)
      for (int j = 0; j < fd; ++j) {
        const int p = argmax[size_t(i) * fd + j];
        if (p < 0) continue;
        const size_t k = size_t(q0 + p) * fd + j;
        dy[k] += dfeat[size_t(i) * fd + j] * (1.0f - y[k] * y[k]);
      }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, fd, F, rows, 1.0f, dy, fd, out, F, 1.0f,
                g[ri.proj_weight].data.data(), F);
    float* db = g[ri.proj_bias].data.data();
    for (int q = 0; q < rows; ++q)
      for (int j = 0; j < fd; ++j) db[j] += dy[size_t(q) * fd + j];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, F, fd, 1.0f, dy, fd,
                P[ri.proj_weight].data.data(), F, 0.0f, dout, F);
  } else {
    std::memset(dout, 0, sizeof(float) * size_t(rows) * F);
    for (int i = 0, q0 = 0; i < m; q0 += seg.length(i), ++i) {
      const int len = seg.length(i);
      if (len == 0) continue;
      const float* df = dfeat + size_t(i) * fd;
      float* dq = dout + size_t(q0) * F;
      switch (c.pooling) {
        case Pooling::kAttention:
          attention_pool_backward(out + size_t(q0) * F, len, F, P[ri.attention].data.data(),
                                  s.tanh_out.data() + size_t(q0) * F, s.alpha.data() + q0, df, dq,
                                  g[ri.attention].data.data());
          break;
        case Pooling::kMax:
          for (int j = 0; j < F; ++j) dq[size_t(argmax[size_t(i) * fd + j]) * F + j] += df[j];
          break;
        case Pooling::kLast:
          for (int j = 0; j < H; ++j) {
            dq[size_t(len - 1) * F + j] += df[j];
            dq[H + j] += df[H + j];
          }
          break;
      }
    }
  }
  // Token rows back to the packed per-direction output gradients (and rcnn's embedding part).
  float* dh0 = grow(s.dh[0], size_t(rows) * H);
  float* dh1 = grow(s.dh[1], size_t(rows) * H);
  float* de = grow(s.dembed, size_t(rows) * d);
  if (rcnn) {
    std::memset(dh0, 0, sizeof(float) * size_t(rows) * H);
    std::memset(dh1, 0, sizeof(float) * size_t(rows) * H);
  }
  for (int i = 0, q = 0; i < m; ++i) {
    const int len = seg.length(i);
    for (int p = 0; p < len; ++p, ++q) {
      const float* dq = dout + size_t(q) * F;
      if (!rcnn) {
        std::memcpy(dh0 + size_t(L.row(i, p)) * H, dq, sizeof(float) * size_t(H));
        std::memcpy(dh1 + size_t(L.row(i, len - 1 - p)) * H, dq + H, sizeof(float) * size_t(H));
        continue;
      }
      if (p > 0) {
        float* t = dh0 + size_t(L.row(i, p - 1)) * H;
        for (int j = 0; j < H; ++j) t[j] += dq[j];
      }
      std::memcpy(de + size_t(q) * d, dq + H, sizeof(float) * size_t(d));
      if (p + 1 < len) {
        float* t = dh1 + size_t(L.row(i, len - 2 - p)) * H;
        for (int j = 0; j < H; ++j) t[j] += dq[H + d + j];
      }
    }
  }
  if (!rcnn) std::memset(de, 0, sizeof(float) * size_t(rows) * d);
  for (int dir = 0; dir < 2; ++dir) {
    float* dx = grow(s.dx[dir], size_t(rows) * d);
    if (c.cell == Cell::kLstm)
      lstm_backward(L, s.x[dir].data(), d, P[ri.w_ih[dir]].data.data(),
                    P[ri.w_hh[dir]].data.data(), H, s.cell[dir], s.h[dir].data(), s.dh[dir].data(),
                    g[ri.w_ih[dir]].data.data(), g[ri.w_hh[dir]].data.data(),
                    g[ri.b_ih[dir]].data.data(), dx);
    else
      gru_backward(L, s.x[dir].data(), d, P[ri.w_ih[dir]].data.data(),
                   P[ri.w_hh[dir]].data.data(), H, s.cell[dir], s.h[dir].data(), s.dh[dir].data(),
                   g[ri.w_ih[dir]].data.data(), g[ri.w_hh[dir]].data.data(),
                   g[ri.b_ih[dir]].data.data(), g[ri.b_hh[dir]].data.data(), dx);
  }
  // Packed input gradients back to text order, then into the embedding rows.
  const int e = net.embed_index();
  for (int i = 0, q = 0; i < m; ++i) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
    for (int p = 0; p < len; ++p, ++q) {
      const float* a = s.dx[0].data() + size_t(L.row(i, p)) * d;
      const float* b = s.dx[1].data() + size_t(L.row(i, len - 1 - p)) * d;
      float* dq = de + size_t(q) * d;
      float* __restrict row = g.touch_row(e, tok[p]);
      for (int j = 0; j < d; ++j) row[j] += dq[j] + a[j] + b[j];
    }
  }
}

}  // namespace fenlei::nn
