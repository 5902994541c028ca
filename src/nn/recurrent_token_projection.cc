// Per-token input-gate rows of the recurrent presets for inference (see
// recurrent_token_projection.h).
#include "nn/recurrent_token_projection.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "nn/recurrent_batch_inference.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

constexpr int kRowChunk = 8;         // rows per projection call (fixed shape, see compute_missing)
constexpr int32_t kFillSlice = 512;  // rows per compute_missing when filling ahead of use

// FENLEI_RECURRENT_KERNEL=gemm: no cache (the path before it); =unfused: the cache, but batches
// on the sgemm steps (the path before the fused step). Benchmarks compare them.
bool kernel_is(const char* name) {
  const char* v = std::getenv("FENLEI_RECURRENT_KERNEL");
  return v != nullptr && std::strcmp(v, name) == 0;
}

}  // namespace

std::unique_ptr<RecurrentTokenProjection> RecurrentTokenProjection::create(const Network& net,
                                                                           int32_t vocab,
                                                                           size_t max_bytes,
                                                                           bool pack_float_w_hh) {
  const ModelConfig& c = net.config();
  if (!c.recurrent() || vocab <= 0 || kernel_is("gemm")) return nullptr;
  const int H = c.rnn_hidden;
  const int G = (c.cell == Cell::kLstm ? 4 : 3) * H;
  const size_t row_floats = 2 * size_t(G);
  if (size_t(vocab) * row_floats * sizeof(float) > max_bytes) return nullptr;
  std::unique_ptr<RecurrentTokenProjection> p(new RecurrentTokenProjection());
  p->net_ = &net;
  p->gate_floats_ = G;
  p->vocab_ = vocab;
  const bool panels = batch_inference_supported(H) && !kernel_is("unfused");
  for (int d = 0; d < 2 && pack_float_w_hh; ++d) {
    const float* w_hh = net.params()[net.recurrent().w_hh[d]].values();
    p->w_hh_packed_[d] = pack_for_gemv(w_hh, G, H);
    if (panels) p->w_hh_panels_[d] = pack_gate_panels(w_hh, G / H, H, H);
  }
  if (!p->table_.allocate(vocab, row_floats)) return nullptr;
  return p;
}

size_t RecurrentTokenProjection::float_w_hh_bytes() const {
  size_t n = 0;
  for (int d = 0; d < 2; ++d) n += w_hh_packed_[d].size() + w_hh_panels_[d].size();
  return n * sizeof(float);
}

void RecurrentTokenProjection::gather(const Segment& seg, const EmbeddingSource* source,
                                      const InputProjection* projection,
                                      RecurrentCacheScratch& s) const {
  const size_t n = size_t(seg.offsets[seg.count] - seg.offsets[0]);
  table_.find_missing(seg.ids, n, /*also=*/-1, &s.missing);
  compute_missing(source, projection, s);
  // A row another caller is still writing is read from the copy computed into our scratch.
  const float** rows = grow(s.rows, std::max<size_t>(n, 1));
  for (size_t q = 0; q < n; ++q)
    rows[q] = table_.row_or_own(seg.ids[q], s.missing, s.new_rows.data());
}

void RecurrentTokenProjection::fill_frequent(const EmbeddingSource* source,
                                             const InputProjection* projection,
                                             RecurrentCacheScratch& s) const {
  const size_t row_bytes = table_.row_elems() * sizeof(float);
  const auto rows = static_cast<int32_t>(std::min(size_t(vocab_), kWarmUpBytes / row_bytes));
  table_.fill_first(rows, kFillSlice, &s.missing,
                    [&](const auto&) { compute_missing(source, projection, s); });
}

void RecurrentTokenProjection::compute_missing(const EmbeddingSource* source,
                                               const InputProjection* projection,
                                               RecurrentCacheScratch& s) const {
  if (s.missing.empty()) return;
  // kRowChunk rows per call, always that shape (the last chunk padded with copies of its last
  // row): a row's bits do not depend on which text or thread computed it, so predictions do
  // not depend on the cache's history.
  const ModelConfig& c = net_->config();
  const Params& P = net_->params();
  const RecurrentIndex& ri = net_->recurrent();
  const int d = c.embed_dim, G = gate_floats_;
  const size_t row = 2 * size_t(G);
  const size_t n = s.missing.size();
  const size_t chunks = (n + kRowChunk - 1) / kRowChunk;
  float* out = grow(s.new_rows, chunks * kRowChunk * row);
  float* x = grow(s.embeddings, size_t(kRowChunk) * d);
  float* gates = grow(s.gates, size_t(kRowChunk) * G);
  const float* table = P[net_->embed_index()].values();
  for (size_t chunk = 0; chunk < chunks; ++chunk) {
    const size_t first = chunk * kRowChunk;
    for (size_t k = 0; k < size_t(kRowChunk); ++k) {
      const int32_t id = s.missing[std::min(first + k, n - 1)];
      float* dst = x + k * d;
      if (source != nullptr)
        source->row(source->context, id, dst);
      else
        std::memcpy(dst, table + size_t(id) * d, sizeof(float) * size_t(d));
    }
    for (int dir = 0; dir < 2; ++dir) {
      if (projection != nullptr)
        projection->project(projection->context, dir, x, kRowChunk, gates);
      else
        project_rows(x, kRowChunk, d, P[ri.w_ih[dir]].values(), P[ri.b_ih[dir]].values(), G,
                     gates);
      for (size_t k = 0; k < size_t(kRowChunk); ++k)
        std::memcpy(out + (first + k) * row + size_t(dir) * G, gates + k * G,
                    sizeof(float) * size_t(G));
    }
  }
  table_.publish(s.missing, out);
}

}  // namespace fenlei::nn
