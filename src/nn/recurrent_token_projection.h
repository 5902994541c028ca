// RecurrentTokenProjection: inference of the recurrent presets (bilstm, gru, rcnn) without the
// input-projection GEMM.
//
// Each direction's input-side gate pre-activations, x_t W_ih^T + b (the lstm's bias, the gru's
// b_ih), depend on the token at step t only: per vocabulary entry v the row
//   [ E[v] W_ih(fwd)^T + b(fwd) | E[v] W_ih(bwd)^T + b(bwd) ]   (2 * G*H floats, G = 4 or 3)
// is a constant of the model. The table of these rows is filled lazily (LazyRowTable: a row is
// computed the first time a text uses its token, then shared by every thread; rows never used
// cost no memory), so one text's input projection becomes row lookups: half of a bilstm's
// multiply-adds at the presets' sizes (embed_dim = rnn_hidden = 128). Rows are computed eight
// at a time in a fixed-shape product by the caller's own projection: the float W_ih (sgemm) or
// the int8 engine's integer GEMM (quant/int8_recurrent.h), so a row holds what that engine's
// uncached path computes for the token (int8: bit for bit, the GEMM being exact per row; float:
// up to the BLAS's summation order for a different number of rows).
//
// The object also holds each direction's W_hh in gemv_packed's layout for the one-text
// recurrence, a matrix-vector product per step that streams W_hh once (nn/recurrent_steps.h),
// and in gate panels for batches (nn/recurrent_batch_inference.h), unless the caller runs its
// own recurrence (the int8 engine with int8 W_hh: ~1 MiB less for a bilstm).
//
// Table size: vocab x 2*G*H floats (bilstm, 10k words: 40 MiB of address space, 4 KiB a row).
//
//   auto proj = RecurrentTokenProjection::create(net, vocab, kDefaultMaxBytes);  // may be null
//   recurrent_features_forward(net, seg, s, feat, fd, nullptr, nullptr, proj.get());
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/lazy_row_table.h"
#include "nn/conv1d.h"
#include "nn/network.h"
#include "nn/recurrent_encoder.h"
#include "nn/recurrent_scratch.h"

namespace fenlei::nn {

class RecurrentTokenProjection {
 public:
  // Larger tables (huge vocabularies) keep the GEMM path.
  static constexpr size_t kDefaultMaxBytes = size_t(1) << 30;
  // Table bytes Classifier::warm_up fills up front (the most frequent tokens; bilstm: 2,048 rows).
  static constexpr size_t kWarmUpBytes = size_t(8) << 20;

  // Null when `net` is not recurrent, the table would exceed max_bytes, no mapping can be made,
  // or FENLEI_RECURRENT_KERNEL=gemm is set (benchmarks compare the paths; =unfused keeps
  // the cache but not the fused batched step). `net` holds the
  // recurrent tensors (for the int8 engine: its float part), `vocab` the embedding table's rows;
  // `net` must outlive the projection and must not change afterwards. pack_float_w_hh = false:
  // no packed float copies of W_hh (w_hh_packed and w_hh_panels null), for callers that always
  // pass their own HiddenRecurrence; without one the steps then run on the network's W_hh
  // through the unfused sgemm path (correct, slower).
  static std::unique_ptr<RecurrentTokenProjection> create(const Network& net, int32_t vocab,
                                                          size_t max_bytes,
                                                          bool pack_float_w_hh = true);
  RecurrentTokenProjection(const RecurrentTokenProjection&) = delete;
  RecurrentTokenProjection& operator=(const RecurrentTokenProjection&) = delete;

  // Points s.rows[q] at the row of the q-th token of seg (segment order), computing the rows not
  // yet in the table with `source` and `projection` (null: the network's own float embedding
  // table and W_ih; recurrent_encoder.h). Every caller of one projection object must pass the
  // same kind of source and projection. Thread-safe.
  void gather(const Segment& seg, const EmbeddingSource* source, const InputProjection* projection,
              RecurrentCacheScratch& s) const;
  // Computes the rows of the first ids up to kWarmUpBytes (vocabularies are sorted by count, so
  // these are the most frequent tokens). Thread-safe.
  void fill_frequent(const EmbeddingSource* source, const InputProjection* projection,
                     RecurrentCacheScratch& s) const;

  int gate_floats() const { return gate_floats_; }  // G*H: one direction's part of a row
  // Null when created without the packed float W_hh.
  const float* w_hh_packed(int direction) const {
    return w_hh_packed_[direction].empty() ? nullptr : w_hh_packed_[direction].data();
  }
  // W_hh in pack_gate_panels' layout for the fused batched step (recurrent_batch_inference.h);
  // null where the CPU or the hidden size does not allow it (batches then run the sgemm steps).
  const float* w_hh_panels(int direction) const {
    return w_hh_panels_[direction].empty() ? nullptr : w_hh_panels_[direction].data();
  }
  size_t rows_filled() const { return table_.rows_filled(); }
  // Bytes held by the packed float copies of W_hh (both layouts, both directions).
  size_t float_w_hh_bytes() const;

 private:
  RecurrentTokenProjection() = default;
  // Computes the rows of s.missing (sorted, unique) into s.new_rows and publishes them.
  void compute_missing(const EmbeddingSource* source, const InputProjection* projection,
                       RecurrentCacheScratch& s) const;

  const Network* net_ = nullptr;
  int gate_floats_ = 0;
  int32_t vocab_ = 0;
  std::vector<float> w_hh_packed_[2];  // pack_for_gemv(W_hh) per direction
  std::vector<float> w_hh_panels_[2];  // pack_gate_panels(W_hh) per direction, or empty
  LazyRowTable<float> table_;     // [vocab, 2 * G*H]
};

}  // namespace fenlei::nn
