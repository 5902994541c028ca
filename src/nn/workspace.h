// Workspace: all per-thread scratch of a forward/backward pass. Buffers only grow, so after the
// first few (largest) batches the hot loop never allocates. Not thread-safe; one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nn/recurrent_scratch.h"
#include "nn/dpcnn_scratch.h"

namespace fenlei::nn {

// Scratch of one conv width over a segment of examples.
struct ConvScratch {
  std::vector<int32_t> row_start;  // [m+1] first im2col row of each example
  std::vector<float> col;          // [rows, width*dim] im2col of the embeddings
  std::vector<float> y;            // [rows, filters] conv outputs before bias/ReLU
  std::vector<int32_t> argmax;     // [m, filters] winning row, or -1 when ReLU clipped it
};

// Scratch of TokenProjection::features (inference only).
struct ProjectionScratch {
  std::vector<int32_t> missing;      // sorted ids whose rows were not in the table
  std::vector<float> embeddings;     // [chunk, dim] embeddings of the rows being computed
  std::vector<float> new_rows;       // [missing rounded up to a chunk, row_floats] rows computed
  std::vector<const float*> rows;    // one example's row pointer per (padded) position
  std::vector<float> mx;             // [padded_filters] window maxima of one conv
};

struct Workspace {
  ProjectionScratch projection;             // TokenProjection (inference only)
  std::vector<ConvScratch> conv;            // one per conv width
  std::vector<float> feat;                  // [m, feature_dim] pooled features
  std::vector<float> feat_drop;             // [m, feature_dim] after dropout
  std::vector<uint8_t> feat_keep;           // dropout mask of the features
  std::vector<std::vector<float>> pre;      // per hidden layer: [m, h] before activation
  std::vector<std::vector<float>> act;      // per hidden layer: after activation (and dropout)
  std::vector<std::vector<uint8_t>> keep;   // per hidden layer dropout mask
  std::vector<float> logits;                // [m, output_units]
  std::vector<float> dlogits;               // [m, output_units]
  std::vector<float> grad_a, grad_b;        // ping-pong buffers for the head's backward pass
  std::vector<float> dx;                    // [padded_len, dim] one example's input gradient
  std::vector<int32_t> bigrams;             // one example's hashed bigram ids (fasttext)
  RecurrentScratch recurrent;               // bilstm / gru / rcnn (nn/recurrent_encoder.h)
  DpcnnScratch dpcnn;                       // dpcnn layers (nn/dpcnn.h)
};

// Grows v to at least n elements without ever shrinking (keeps capacity across batches).
template <typename T>
inline T* grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

}  // namespace fenlei::nn
