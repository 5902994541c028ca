// Deep Pyramid CNN (Johnson & Zhang, ACL 2017) over ragged batches.
//
//   x0 = region conv (width 3) over the embeddings                       [L, C]
//   h0 = x0 + conv(relu(conv(relu(x0))))                                   stage 0
//   for k = 1 .. blocks, while the text is longer than one position:
//     p  = max-pool(h_{k-1}, size 3, stride 2)        length L -> (L+1)/2
//     h_k = p + conv(relu(conv(relu(p))))                                  block k
//   feature = max over the positions of the last h (one position, unless the text was longer
//             than 2^blocks)                                               [C] -> dense head
//
// Every conv is width 3 with "same" zero padding, C channels in and out (pre-activation: the ReLU
// sits before each conv, so the shortcut carries the un-rectified sum). Ragged, without padding:
// each text runs at its own length (an empty text counts as one all-zero position), and a text
// leaves the pyramid when it reaches one position, so short texts run fewer blocks (a 5-token
// title: 3 blocks; a 128-token review: 7) and no compute or gradient touches padding. This is the
// exact per-text computation; the paper's implementation instead pads every text of a batch
// to one length. Each stage conv runs over the rows of all texts still active at once: in
// training (dpcnn_forward / dpcnn_backward) as Winograd F(2,3) (nn/winograd3.h: 2/3 of the
// multiply-adds, the same function up to float rounding), in inference as im2col + GEMM on the
// engine's kernels (DpcnnOps), whose per-row sums the packed and int8 engines reproduce exactly.
//
// Parameters: "region/weight" [C, 3*dim], "region/bias" [C], and per stage s = 0..blocks
// "dpcnn<s>/conv1/weight", "dpcnn<s>/conv2/weight" [C, 3*C] with their "/bias" [C]; the weight
// column k*C_in + c pairs input position t-1+k, channel c (as conv1d's layout).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "nn/config.h"
#include "nn/conv1d.h"
#include "nn/dpcnn_scratch.h"
#include "nn/params.h"
#include "nn/rng.h"

namespace fenlei::nn {

struct DpcnnIndex {
  int region_weight = -1, region_bias = -1;
  std::vector<int> weight, bias;  // [2*s + j]: conv j (0, 1) of stage s
};

// Adds the dpcnn tensors to `params` (after the embedding) and returns their indices.
DpcnnIndex add_dpcnn_params(const ModelConfig& c, Params& params);
// glorot_uniform kernels (fan_in = fan_out = 3 * channels), zero biases, as the cnn's convs.
void init_dpcnn_params(const ModelConfig& c, const DpcnnIndex& idx, Rng& rng, Params& params);

// Pyramid output of the segment's examples: feat[i*feat_stride + f], f < C, the training
// forward (Winograd stage convs). Fills s for the backward pass.
void dpcnn_forward(const ModelConfig& c, const Params& p, const DpcnnIndex& idx, int embed,
                   const Segment& seg, DpcnnScratch& s, float* feat, int feat_stride);

// The forward pass with its two replaceable parts, so that the int8 engine (quant/int8_model.h)
// runs the same pyramid on its own weights: how an embedding row is read, and how a conv's
// GEMM runs. conv(layer, col, rows, k, y): y[rows, C] = col[rows, k] * W^T + b, where layer 0
// is the region conv and 1 + 2*s + j is conv j (0, 1) of stage s.
struct DpcnnOps {
  std::function<void(int32_t id, float* dst)> embed_row;
  std::function<void(int layer, const float* col, int rows, int k, float* y)> conv;
  // Optional: stage 0's input in one step, x0[rows, C] = the region conv of the embeddings
  // (bias included) for the segment's texts, stacked as row_start[0..count] gives their rows
  // (max(len, 1) each). Empty: embed_row + im2col + conv(0, ...).
  std::function<void(const Segment& seg, const int32_t* row_start, float* x0)> region;
  // Optional (inference only: the backward needs the window rows): a stage conv straight from
  // its input rows, y[rows, C] = conv(layer, windows) where windows are the width-3 windows of
  // ReLU(x) [rows, C] with zeros outside each text (row_start[0..count]), i.e. what im2col +
  // conv computes, for an engine that never needs the float window rows (the int8 engine
  // quantises them as it reads x). Empty: im2col + conv.
  std::function<void(int layer, const float* x, int channels, const int32_t* row_start, int count,
                     float* y)>
      conv_windows;
};
void dpcnn_forward_ops(int dim, int channels, int blocks, const DpcnnOps& ops, const Segment& seg,
                       DpcnnScratch& s, float* feat, int feat_stride);

// Inference over a batch: the same features, computed on consecutive chunks of texts of at most
// `max_rows` stage-0 rows (a longer text alone). dpcnn_forward_ops keeps every stage of every
// text of its segment for the backward ([rows, C] and [rows, 3C] buffers: ~100 MB for 256 hotel
// reviews), so a whole batch ran out of cache: int8 batches of 256 reviews ran at 1,404 texts/s
// where one text at a time took a median 273 us. In chunks the buffers stay in L2: 3,400-3,600
// texts/s int8, 945 -> 1,750 float (512 and 1,024 rows alike for int8, 1,024 ~5% faster for
// float, 256 and 2,048 slower; AMD Zen 5, 2026-12-02). Each row of a conv is computed alone,
// in the same order, by every conv kernel (packed and OpenBLAS float, int8 with per-row
// activation scales), so the features equal one call over the whole segment bit for bit.
constexpr int kDpcnnInferenceRows = 1024;
void dpcnn_infer_ops(int dim, int channels, int blocks, const DpcnnOps& ops, const Segment& seg,
                     DpcnnScratch& s, float* feat, int feat_stride,
                     int max_rows = kDpcnnInferenceRows);
// dpcnn_infer_ops on the network's own float weights (dpcnn_forward's ops).
void dpcnn_infer(const ModelConfig& c, const Params& p, const DpcnnIndex& idx, int embed,
                 const Segment& seg, DpcnnScratch& s, float* feat, int feat_stride,
                 int max_rows = kDpcnnInferenceRows);

// Given d(feature) for every example of the segment (as dpcnn_forward laid them out, with the
// same s), accumulates every dpcnn tensor's gradient and the touched embedding rows into g.
void dpcnn_backward(const ModelConfig& c, const Params& p, const DpcnnIndex& idx, int embed,
                    const Segment& seg, const float* dfeat, int feat_stride, DpcnnScratch& s,
                    Grads& g);

// Positions of a text of `len` tokens at stage s (0: max(len, 1); halved, rounded up, per block
// until 1). Stages a text runs: 1 + number of halvings until one position, at most blocks + 1.
int dpcnn_length(int len, int stage);
int dpcnn_stages(int len, int blocks);

}  // namespace fenlei::nn
