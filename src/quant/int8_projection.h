// Int8Projection: the int8 engine's per-(token, offset) conv projections, the integer
// counterpart of nn::TokenProjection (docs/engine.md, "Inference").
//
// With int8 embeddings q_e (scale s_e per table or per row) and int8 conv weights q_w (scale
// s_w[f] per filter), a conv window's pre-activation is
//   y[t, f] = b[f] + s_w[f] * sum_j P[tok[t+j], j, f],   P[v, j, f] = s_e(v) * (q_e[v] . q_w[f, j])
// where q_e[v] . q_w[f, j] is an exact int32 (the u8 x s8 GEMM of quant/kernels.h computes it).
// Each P is stored as one int16, P16 = round(P / step[c, f]), with one step per (conv, filter):
// step = sum_j max_v |P[v, j, f]| / (32767 - width - 1), the maxima exact (one pass of the
// projection GEMMs over the vocabulary when the model is built: ~1.5 G int8 multiply-adds for
// a 10k-word textcnn), so that the sum of a window's `width` int16 values can never leave the
// int16 range whatever the text, with the finest unit that guarantees it: windows are summed
// and max-pooled in 16-bit integer lanes (vpaddw / vpmaxsw, 16 filters per AVX2 instruction),
// exactly, and rescaled to float once per pooled feature.
// Versus the float projection the table is half the bytes (textcnn: 2,688 vs 4,992 per
// token) and a window needs half the vector instructions; versus the GEMM path it skips
// width*dim multiply-adds per window and filter.
//
// Exactness: the int16 rounding is the only error this path adds to the GEMM path, at most
// half a step per term, so |feature - gemm feature| <= width/2 * step[c, f] * s_w[f] (tests
// check that bound), i.e. ~width/65k of the filter's largest possible pre-activation. Every
// operation is integer or IEEE double, so the table's bits — and predictions — are the same
// on every x86-64 CPU and kernel.
//
// The table (vocab x row_int16s) lives in an anonymous mapping and is filled lazily: a row is
// computed the first time a text uses its token, then reused; warm_up() fills all rows.
// Concurrent callers are safe: a row is published with a release store after it is written,
// and a caller that finds it unpublished uses the copy it computed into its own scratch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/lazy_row_table.h"
#include "nn/conv1d.h"
#include "quant/kernels.h"

namespace fenlei::quant {

struct Int8Embedding;
struct Int8Linear;

// Per-thread scratch of Int8Projection::features (lives in Int8Workspace).
struct Int8ProjectionScratch {
  std::vector<int32_t> missing;        // sorted ids whose rows were not in the table
  std::vector<uint8_t> a;              // [missing, kp] their int8 embeddings as u8 q+128
  std::vector<int32_t> acc;            // [missing, width*filters] one conv's exact products
  std::vector<double> mult;            // [filters] s_e / step of one row and conv
  std::vector<int16_t> new_rows;       // [missing, row_int16s] rows computed by this caller
  std::vector<const int16_t*> rows;    // one example's row pointer per (padded) position
  std::vector<int16_t> mx;             // [padded_filters] window maxima of one conv
};

class Int8Projection {
 public:
  // Larger tables (huge vocabularies) keep the GEMM path.
  static constexpr size_t kDefaultMaxBytes = size_t(1) << 30;

  // Null when there are no convs, the table would exceed max_bytes, or FENLEI_CONV_KERNEL=gemm
  // is set (benchmarks compare the two paths). conv[c] has width widths[c]. The projection
  // keeps pointers into the heap buffers of embed.q, embed.scale and the biases (not to the
  // structs, so moving them keeps it valid); they must outlive it and not change.
  static std::unique_ptr<Int8Projection> create(const Int8Embedding& embed,
                                                const std::vector<Int8Linear>& conv,
                                                const std::vector<int>& widths, size_t max_bytes);
  ~Int8Projection();
  Int8Projection(const Int8Projection&) = delete;
  Int8Projection& operator=(const Int8Projection&) = delete;

  // Pooled features of the segment's examples, feat[i*feat_stride + c*filters + f], the conv
  // block's output (bias and ReLU included) as the GEMM path computes it, within the bound above.
  void features(const nn::Segment& seg, Int8ProjectionScratch& s, float* feat,
                int feat_stride) const;

  int row_int16s() const { return row_int16s_; }
  size_t table_bytes() const { return table_.bytes(); }
  // The int16 unit of conv c, filter f, in the GEMM's int32 units times s_e (for tests).
  double step(int c, int f) const { return step_[size_t(c) * size_t(filters_) + size_t(f)]; }
  // Computes every row not yet in the table. Thread-safe.
  void fill_all(Int8ProjectionScratch& s) const;
  // Computes the rows of the first ids up to kWarmUpBytes of table (warm_up): vocabularies
  // are sorted by count, so the most frequent tokens; the rest stay lazy. Thread-safe.
  void fill_frequent(Int8ProjectionScratch& s) const;
  static constexpr size_t kWarmUpBytes = size_t(8) << 20;
  size_t rows_filled() const;

 private:
  Int8Projection() = default;
  void gather_rows(const nn::Segment& seg, Int8ProjectionScratch& s) const;
  // Computes the rows of s.missing (sorted, unique) into s.new_rows and publishes them.
  void compute_missing(Int8ProjectionScratch& s) const;
  // The GEMM input: embedding rows ids[0..n) as u8 q+128, [n, kp].
  void embeddings_u8(const int32_t* ids, int n, uint8_t* a) const;
  // [row_int16s]: max over the vocabulary of |P[v, j, f]| at each (conv, j, f) position.
  std::vector<double> vocabulary_maxima() const;

  const int8_t* embed_q_ = nullptr;        // [vocab, dim]
  const float* embed_scale_ = nullptr;    // [vocab] per row or [1]
  bool embed_per_row_ = false;
  std::vector<int> widths_;
  std::vector<const float*> bias_;     // per conv
  int dim_ = 0, kp_ = 0;
  int filters_ = 0;
  int padded_filters_ = 0;             // rounded up to 16 int16 (one AVX2 vector)
  int row_int16s_ = 0;
  int max_width_ = 0;
  std::vector<int> conv_offset_;       // first int16 of conv c within a row
  std::vector<PackedWeights> packed_;  // per conv: [width*filters, dim], row j*filters+f = W[f, j]
  std::vector<double> step_;           // [convs, filters]
  std::vector<double> inv_step_;       // [convs, filters] 1 / step
  std::vector<float> out_scale_;       // [convs, filters] step * s_w[f]: int16 sum -> float
  LazyRowTable<int16_t> table_;        // [vocab, row_int16s]
  int32_t vocab_ = 0;
};

// The window-sum-max kernel in int16: for one conv of `width` whose offset-j block starts at
// rows[p] + offset + j*padded_filters, mx[f] = max over windows t < steps of
// sum_j rows[t+j][offset + j*padded_filters + f], f < padded_filters (a multiple of 16). The
// caller guarantees the sums fit in int16 (the step choice above). The reference is a plain
// int32 loop; the production kernel is AVX2 (vpaddw, vpmaxsw), chosen at run time, and equals
// it bit for bit.
void window_sum_max_i16_ref(const int16_t* const* rows, int steps, int width, int offset,
                            int padded_filters, int16_t* mx);
void window_sum_max_i16_avx2(const int16_t* const* rows, int steps, int width, int offset,
                             int padded_filters, int16_t* mx);
void window_sum_max_i16(const int16_t* const* rows, int steps, int width, int offset,
                        int padded_filters, int16_t* mx);

}  // namespace fenlei::quant
