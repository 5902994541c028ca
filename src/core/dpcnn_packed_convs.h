// Float dpcnn inference on weights prepared once, at engine construction:
//
// - every stage conv's weight packed into the transformer's 32-column panels
//   (transformer/packed_dense.h), so a text's convs run with nothing packed per call. With
//   OpenBLAS' sgemm the [250, 750] weight was packed on every call: on a single hotel review
//   (~50 rows per stage) its packing routines were ~20% of the time;
// - the region conv (width 3 over the embeddings) as per-token projections, as nn::TokenProjection
//   does for the cnn presets: x0[t] = b + P0[tok[t-1]] + P1[tok[t]] + P2[tok[t+1]] with
//   Pj[v] = W[:, j*dim:(j+1)*dim] E[v], each vocabulary row's three products computed on first
//   use (by the same packed kernel, one row at a time in effect, so a row's values do not
//   depend on which text computed it) and kept in a LazyRowTable shared by every thread.
//   warm_up() fills every row (vocab x 3 x dim x channels multiply-adds: ~1 s of CPU per 100k
//   words at the preset's sizes).
//
// Weights are fixed at inference (as for nn::TokenProjection), so the engine builds this only
// for a network it owns; the trainer's validation runs the plain path. The result differs from
// nn::dpcnn_forward's only by float summation order.
#pragma once

#include <memory>
#include <vector>

#include "base/lazy_row_table.h"
#include "nn/dpcnn.h"
#include "nn/network.h"
#include "transformer/packed_dense.h"

namespace fenlei::core {

class DpcnnPackedConvs {
 public:
  // Region projections larger than this (huge vocabularies) run as im2col + GEMM instead.
  static constexpr size_t kMaxRegionBytes = size_t(1) << 30;

  // Null unless `net` is a dpcnn, or when FENLEI_CONV_KERNEL=gemm is set in the environment
  // (benchmarks compare the two paths, as for nn::TokenProjection). Reads `net`'s weights
  // through Tensor::values(); `net` must outlive the result (the embedding table and biases
  // are used in place).
  static std::unique_ptr<const DpcnnPackedConvs> create(const nn::Network& net);

  // The forward's steps (nn::dpcnn_forward_ops) on the prepared weights.
  const nn::DpcnnOps& ops() const { return ops_; }
  // Computes every vocabulary row of the region projections not computed yet.
  void warm_up() const;
  bool has_region_table() const { return region_table_.rows() > 0; }
  size_t region_rows_filled() const { return region_table_.rows_filled(); }

 private:
  DpcnnPackedConvs() = default;
  // own[m][j*C + f] = Pj[missing[m]][f] for each id of `missing` (sorted, unique), then
  // published into the table; own keeps them for rows another thread publishes first.
  void compute_missing(const std::vector<int32_t>& missing, std::vector<float>& gathered,
                       std::vector<float>& own) const;
  void region(const nn::Segment& seg, const int32_t* row_start, float* x0) const;

  int dim_ = 0, channels_ = 0;
  const float* table_ = nullptr;                // embeddings [vocab, dim]
  std::vector<transformer::PackedF32> weight_;  // [0] region conv, [1 + 2*s + j] stage s conv j
  std::vector<const float*> bias_;
  transformer::PackedF32 region_tap_[3];        // W[:, j*dim:(j+1)*dim], [C, dim] each
  LazyRowTable<float> region_table_;            // [vocab, 3*C]
  nn::DpcnnOps ops_;
};

}  // namespace fenlei::core
