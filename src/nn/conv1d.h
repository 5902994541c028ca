// Fast embedding -> conv1d -> ReLU -> max-over-time block over a ragged segment of examples:
// im2col of all valid windows of all examples, one cblas_sgemm per width, fused bias+ReLU+max.
// The backward pass exploits max pooling: only the winning window of each (example, filter)
// receives gradient, so dW and dX are per-winner axpys (O(examples*filters*width*dim)) rather
// than GEMMs over every window (O(windows*filters*width*dim), ~25x more on real texts).
#pragma once

#include <cstdint>

#include "nn/workspace.h"

namespace fenlei::nn {

// Examples [0, count) whose tokens are ids[offsets[i] - offsets[0] ...]; offsets has count+1.
struct Segment {
  const int32_t* ids;      // points at the first token of the first example
  const int32_t* offsets;  // count+1 entries, absolute (offsets[0] may be non-zero)
  int count;
  int length(int i) const { return offsets[i + 1] - offsets[i]; }
  const int32_t* tokens(int i) const { return ids + (offsets[i] - offsets[0]); }
};

// Windows of width w over a text of `len` tokens: a text shorter than w is padded with id 0.
inline int conv_steps(int len, int width) { return (len > width ? len : width) - width + 1; }

// table:[vocab,dim] w:[filters, width*dim] b:[filters]. Writes feat[i*feat_stride + f] for
// f < filters (pass feat already offset to this width's columns) and fills s.
void conv_pool_forward(const float* table, int dim, const float* w, const float* b, int width,
                       int filters, const Segment& seg, ConvScratch& s, float* feat,
                       int feat_stride);

// For example i: given dfeat (this width's columns, dfeat[f]), accumulates dw [filters,
// width*dim], db [filters] and dx [padded_len, dim] (the example's input gradient; rows past the
// text are pad positions).
void conv_pool_backward_example(const float* w, int dim, int width, int filters,
                                const ConvScratch& s, int i, const float* dfeat, float* dw,
                                float* db, float* dx);

}  // namespace fenlei::nn
