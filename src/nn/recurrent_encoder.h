// The feature block of the recurrent presets (issue 15), between the embedding table and the
// dense head: a bidirectional LSTM/GRU run over packed sequences (each text at its own length,
// nothing computed on padding), then
//   birnn: attention / max / last-state pooling of the [forward; backward] outputs;
//   rcnn (Lai et al. 2015): per token y = tanh(W [left context; embedding; right context] + b),
//         where the left context is the forward state before the token and the right context
//         the backward state after it, then max over time.
// An empty text gives zero features.
#pragma once

#include "nn/conv1d.h"
#include "nn/network.h"
#include "nn/recurrent_scratch.h"

namespace fenlei::nn {

// Where the encoder reads embedding rows: the network's own float table when null; the int8
// engine passes a reader that dequantises its int8 table (its network has a dummy table).
struct EmbeddingSource {
  const void* context;
  void (*row)(const void* context, int32_t id, float* out);  // writes embed_dim floats
};

// Where the encoder gets each direction's input-side gate pre-activations, x W_ih^T + b_ih for
// the rows x:[rows, embed_dim] (packed order) into gates:[rows, G*H]: the network's float
// tensors when null; the int8 engine passes its integer GEMM (quant/int8_recurrent.h).
struct InputProjection {
  const void* context;
  void (*project)(const void* context, int direction, const float* x, int rows, float* gates);
};

// What runs each direction's recurrence in inference, in place of the float W_hh (the int8
// engine's integer recurrence, quant/int8_recurrence.h): in[r] points at packed row r's
// input-side pre-activations (x W_ih^T + b, [G*H]); writes h:[rows, H] (packed order), using
// `cell` as scratch. Null: the network's float W_hh.
struct HiddenRecurrence {
  const void* context;
  void (*run)(const void* context, int direction, const PackedLayout& layout,
              const float* const* in, CellScratch& cell, float* h);
};

// rcnn: what computes the token rows' projection y = x W^T + b (before the tanh) for
// x:[rows, 2H + embed_dim] into y:[rows, rcnn_dim], in place of the network's float rcnn/weight
// (the int8 engine's integer GEMM, quant/int8_recurrent.h). Null: the float sgemm. It must
// compute each row on its own (the same values for a row whatever the others): it is called
// once per text, on that text's rows while they are in cache.
struct RcnnProjection {
  const void* context;
  void (*project)(const void* context, const float* x, int rows, float* y);
};

class RecurrentTokenProjection;  // nn/recurrent_token_projection.h

// Writes feat[i * fd + j] for the examples of seg; keeps in s what the backward pass needs
// (a pass with a `projection` or a `cache` is inference only). With a cache (built once for
// this network, and always used with the same kind of source and projection) the input-side
// gates are per-token row lookups, and a single text runs its recurrence as one matrix-vector
// product per step; the features differ from the uncached path only by float rounding. With a
// `recurrence`, it runs every direction's steps (cached or not, one text or many); with an
// `rcnn_projection` (rcnn only), that computes the per-token projection.
void recurrent_features_forward(const Network& net, const Segment& seg, RecurrentScratch& s,
                                float* feat, int fd, const EmbeddingSource* source = nullptr,
                                const InputProjection* projection = nullptr,
                                const RecurrentTokenProjection* cache = nullptr,
                                const HiddenRecurrence* recurrence = nullptr,
                                const RcnnProjection* rcnn_projection = nullptr);

// From dfeat [count, fd], accumulates the recurrent, pooling and embedding gradients into g.
// Needs the scratch of the forward pass on the same segment.
void recurrent_features_backward(const Network& net, const Segment& seg, const float* dfeat,
                                 int fd, RecurrentScratch& s, Grads& g);

}  // namespace fenlei::nn
