// Per-thread scratch of the recurrent presets (issue 15): packed layout, per-direction cell
// states kept for the backward pass, pooled outputs. Part of nn::Workspace.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/packed_sequence.h"

namespace fenlei::nn {

// One direction of one recurrent layer, rows in packed order.
struct CellScratch {
  std::vector<float> gates;   // [rows, G*H] gate activations (input projection first)
  std::vector<float> state;   // [rows, H] LSTM cell c; GRU: W_hn h + b_hn (needed for backward)
  std::vector<float> hidden;  // [rows, G*H] GRU: hidden-side pre-activations
  std::vector<float> dstate;  // [rows, H] LSTM dc
  std::vector<float> dgates;  // [rows, G*H] gradient of the input-side pre-activations
  std::vector<float> dhidden; // [rows, G*H] GRU: gradient of the hidden-side pre-activations
  std::vector<float> zeros;   // [H] the state before step 0 (so the gate loops vectorise)
  std::vector<float> sink;    // [H] where step 0 writes the gradient of that state
};

// Scratch of RecurrentTokenProjection (inference only).
struct RecurrentCacheScratch {
  std::vector<int32_t> missing;     // sorted ids whose rows were not in the table
  std::vector<float> embeddings;    // [chunk, dim] embeddings of the rows being computed
  std::vector<float> gates;         // [chunk, G] one direction's rows being computed
  std::vector<float> new_rows;      // [missing rounded up to a chunk, 2G] rows computed
  std::vector<const float*> rows;   // each token's row, segment order
  std::vector<const float*> steps;  // one direction's rows in step order (one-text path)
  std::vector<const float*> packed; // one direction's rows in packed order (fused batch path)
  std::vector<float> step;          // the one-text recurrence's per-step buffers
};

struct RecurrentScratch {
  RecurrentCacheScratch cached;  // RecurrentTokenProjection (inference only)
  PackedLayout layout;
  std::vector<float> x[2];    // [rows, dim] embeddings in packed order, per direction
  std::vector<float> h[2];    // [rows, H] outputs per direction
  std::vector<float> dh[2];   // [rows, H]
  std::vector<float> dx[2];   // [rows, dim]
  CellScratch cell[2];
  std::vector<float> out;     // [tokens, F] per-token features in text order (pooling input)
  std::vector<float> dout;    // [tokens, F]
  std::vector<float> proj;    // rcnn: [tokens, rcnn_dim] tanh projection
  std::vector<float> dproj;   // rcnn: [tokens, rcnn_dim]
  std::vector<float> alpha;   // attention: [tokens] weights; then scratch for their gradients
  std::vector<float> tanh_out;  // attention: [tokens, F] tanh of the outputs
  std::vector<int32_t> argmax;  // max pooling: [m, F] winning token (text order), -1 if empty
  std::vector<float> dembed;  // [tokens, dim] input gradient in text order
};

}  // namespace fenlei::nn
