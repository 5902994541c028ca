// TokenProjection: inference of a cnn's embedding -> conv1d -> ReLU -> max-over-time block
// without a GEMM over the text's windows.
//
// A conv window's pre-activation is linear in the embeddings it covers:
//   y[t, f] = b[f] + sum_j  E[tok[t+j]] . W[f, j*dim : (j+1)*dim]
// so every term depends on one token and one offset j only. Precomputing, per vocabulary entry
// v, the products P[v][conv, j, :] = E[v] . W[:, j*dim:(j+1)*dim]^T turns each window into
// `width` vector additions of `filters` floats (Kim's textcnn: 12 additions of 100 floats
// instead of 12*128*100 multiply-adds, ~128x fewer operations per window). Weights are fixed
// at inference, so the products are exact up to float summation order (tests bound the
// difference against the im2col + sgemm reference, conv_pool_forward).
//
// The table is vocab x sum_c(width_c) x filters floats (textcnn with 10k words: 46 MiB of
// address space), filled lazily: a row is computed the first time a text uses its token (new
// rows eight at a time by cblas_sgemm), then reused. Memory comes from an anonymous mapping,
// so rows never used cost nothing. Concurrent callers are safe: a row is published with a
// release store after it is written, and a caller that finds it unpublished computes its own
// copy in its scratch space instead of waiting.
//
//   auto proj = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);  // may be null
//   nn::predict_proba(net, batch, ws, out, proj.get());
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/lazy_row_table.h"
#include "nn/conv1d.h"
#include "nn/network.h"
#include "nn/workspace.h"

namespace fenlei::nn {

class TokenProjection {
 public:
  // Larger tables (huge vocabularies) fall back to the GEMM path.
  static constexpr size_t kDefaultMaxBytes = size_t(1) << 30;

  // Null when the network is not a cnn, the table would exceed max_bytes, or
  // FENLEI_CONV_KERNEL=gemm is set in the environment (benchmarks compare the two paths).
  // `net` must outlive the projection and must not change afterwards.
  static std::unique_ptr<TokenProjection> create(const Network& net, size_t max_bytes);
  ~TokenProjection();
  TokenProjection(const TokenProjection&) = delete;
  TokenProjection& operator=(const TokenProjection&) = delete;

  // Writes the pooled features of the segment's examples, feat[i*feat_stride + c*filters + f],
  // exactly what conv_pool_forward writes for every conv layer c (up to rounding).
  void features(const Segment& seg, ProjectionScratch& s, float* feat, int feat_stride) const;

  // Floats per vocabulary row (sum over convs of width * padded filters).
  int row_floats() const { return row_floats_; }
  // Computes every row not yet in the table. Thread-safe.
  void fill_all(ProjectionScratch& s) const;
  // Computes the rows of the first ids up to kWarmUpBytes of table (Classifier::warm_up):
  // vocabularies are sorted by count, so these are the most frequent tokens, the rows nearly
  // every text reads. The rest stay lazy, which keeps a server's table small (textcnn with
  // 10k words: 8 of 46 MiB). Thread-safe.
  void fill_frequent(ProjectionScratch& s) const;
  static constexpr size_t kWarmUpBytes = size_t(8) << 20;
  // Rows filled so far (for tests and diagnostics).
  size_t rows_filled() const;

 private:
  TokenProjection() = default;
  // Computes the rows of the segment's tokens that are not yet in the table (one sgemm into
  // s.new_rows), publishes them, and points s.rows[p] at every token's row.
  void gather_rows(const Segment& seg, ProjectionScratch& s) const;
  // Computes the rows of s.missing (sorted, unique) into s.new_rows and publishes them.
  void compute_missing(ProjectionScratch& s) const;

  const Network* net_ = nullptr;
  int dim_ = 0;
  int filters_ = 0;         // filters per conv
  int padded_filters_ = 0;  // rounded up to 8 floats (one AVX vector)
  int row_floats_ = 0;
  std::vector<int> conv_offset_;       // first float of conv c within a row
  std::vector<float> packed_weights_;  // [dim, row_floats]: column (c, j, f) = W_c[f, j*dim + e]
  LazyRowTable<float> table_;          // [vocab, row_floats]
  int32_t vocab_ = 0;
};

// The window-sum-max kernel: for one conv of `width` whose offset-j block starts at
// rows[p] + offset + j*padded_filters, writes mx[f] = max over windows t < steps of
// sum_j rows[t+j][offset + j*padded_filters + f], f < padded_filters (a multiple of 8).
// The reference is a plain loop; the production kernel is the same loop in 8-float vectors,
// compiled for AVX2 and for the baseline ISA and chosen at run time.
void window_sum_max_ref(const float* const* rows, int steps, int width, int offset,
                        int padded_filters, float* mx);
void window_sum_max(const float* const* rows, int steps, int width, int offset,
                    int padded_filters, float* mx);

}  // namespace fenlei::nn
