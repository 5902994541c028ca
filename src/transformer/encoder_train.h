// Fine-tuning an encoder (encoder.h) with its classification head: the forward pass that keeps
// its activations, the backward pass into gradient buffers shaped like the weights, dropout, and
// new heads for bare encoders. One example at a time at its own length (ragged batches: nothing
// is computed on padding); the last layer computes only the [CLS] row after its key/value
// projections, as inference does. The layer kernels are in train_layers.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transformer/encoder.h"

namespace fenlei::transformer {

// Gradient of the word-embedding table as its touched rows only (a vocabulary of 21k x 768
// would be 65 MB per thread as a dense buffer): rows in first-touch order.
struct SparseRows {
  int dim = 0;
  std::vector<int32_t> slot;  // per vocabulary row: index into rows, or -1
  std::vector<int32_t> rows;
  std::vector<float> values;  // rows.size() x dim

  void reset(int vocab, int dim);
  float* row(int32_t id);  // adds a zero row on first touch
  const float* find(int32_t id) const {
    return slot[id] < 0 ? nullptr : values.data() + static_cast<long>(slot[id]) * dim;
  }
  void clear();
};

// Gradients shaped like the weights. `d.word_embeddings` stays empty: the word table's
// gradient is `word`.
struct EncoderGrads {
  EncoderWeights d;
  SparseRows word;

  static EncoderGrads zeros_like(const EncoderWeights& w);
  void clear();
  // this += other, tensor by tensor (sparse rows in other's touch order): summing per-thread
  // buffers in thread order keeps a run reproducible.
  void add(const EncoderGrads& other);
  void scale(float s);
  double squared_norm() const;
};

// Every trainable tensor of an encoder in a fixed order, under its transformers name (query,
// key and value are views into the fused qkv), with whether AdamW decays it (not biases and
// LayerNorm weights, the usual transformers recipe). Used for weights and gradients alike; the
// views point into `w`, which must outlive them.
struct ParamView {
  std::string name;
  float* data = nullptr;
  long size = 0;
  bool decay = false;
};
std::vector<ParamView> param_views(EncoderWeights* w);

// Dropout of one forward pass: rates (config) and the key that seeds every mask of this example
// (a function of seed, step and the example's place in the batch). `enabled` false: eval mode.
struct DropoutSpec {
  bool enabled = false;
  float hidden = 0, attention = 0, classifier = 0;
  uint64_t key = 0;
  static DropoutSpec from_config(const hf::EncoderConfig& c);
};

// Activations of one forward pass that its backward reads; reused between examples (one per
// thread).
struct TrainWorkspace;
struct TrainWorkspaceDeleter {
  void operator()(TrainWorkspace* w) const;
};
using TrainWorkspacePtr = std::unique_ptr<TrainWorkspace, TrainWorkspaceDeleter>;
TrainWorkspacePtr make_train_workspace();

// Forward (training mode per `dropout`) and backward of one text's ids (with [CLS]/[SEP], at
// most max_position_embeddings), adding d(loss * grad_scale)/d(weights) to `grads`. Returns the
// cross-entropy loss (unscaled) and writes the logits. Needs a head.
float forward_backward(const EncoderWeights& w, const std::vector<int32_t>& ids, int label,
                       float grad_scale, const DropoutSpec& dropout, TrainWorkspace* ws,
                       EncoderGrads* grads, std::vector<float>* logits);

// Forward and backward of a chunk of texts at once, stacked row-wise so that every dense layer
// is one GEMM over all their rows (attention stays per text); example b's dropout masks come
// from keys[b] exactly as in forward_backward, so results do not depend on how examples are
// grouped into chunks (up to float summation order). Returns the sum of the losses.
double forward_backward_chunk(const EncoderWeights& w,
                              const std::vector<const std::vector<int32_t>*>& ids,
                              const std::vector<int>& labels, const std::vector<uint64_t>& keys,
                              float grad_scale, const DropoutSpec& rates, TrainWorkspace* ws,
                              EncoderGrads* grads);

// The training forward alone (its loss, for gradient checks); same masks for the same spec.
float forward_loss(const EncoderWeights& w, const std::vector<int32_t>& ids, int label,
                   const DropoutSpec& dropout, TrainWorkspace* ws, std::vector<float>* logits);

// The encoder without its head, every position of the last layer computed (masked-language
// modelling, train/pretrain.h), for a chunk of texts stacked row-wise as in
// forward_backward_chunk (text b's dropout masks from keys[b]; `rates.key` is unused).
// forward_hidden writes the final hidden states (rows x hidden) and `offsets` (size + 1): text
// b's rows are [offsets[b], offsets[b + 1]), its length ids[b]->size() capped at
// max_position_embeddings. backward_hidden, called next on the same workspace (the ids must
// still be alive), takes their gradient (same shape) and adds d(weights) to `grads`.
void forward_hidden(const EncoderWeights& w, const std::vector<const std::vector<int32_t>*>& ids,
                    const std::vector<uint64_t>& keys, const DropoutSpec& rates,
                    TrainWorkspace* ws, std::vector<float>* hidden, std::vector<int>* offsets);
void backward_hidden(const EncoderWeights& w, const DropoutSpec& rates, TrainWorkspace* ws,
                     const float* dhidden, EncoderGrads* grads);

// Replaces the head with a new one for `num_labels` classes, as transformers initialises it:
// weights normal(0, initializer_range) from `seed`, biases zero. BERT: pooler + classifier
// (an existing pooler is kept, as BertForSequenceClassification.from_pretrained keeps the
// pretrained pooler); ELECTRA: dense + out_proj.
void init_head(EncoderWeights* w, int num_labels, uint64_t seed, bool keep_pooler = true);

}  // namespace fenlei::transformer
