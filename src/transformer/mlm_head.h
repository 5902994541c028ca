// The masked-language-modelling head of pretraining (train/pretrain.h), as BERT's
// cls.predictions (BertLMPredictionHead) and ELECTRA's generator head: dense (hidden ->
// embedding size), the activation, LayerNorm, then a decoder tied to the word embeddings plus a
// bias over the vocabulary. Forward and backward run on the masked positions only; the tied
// decoder's gradient is dense over the vocabulary and goes into the word table's gradient.
#pragma once

#include <cstdint>
#include <vector>

#include "hf/config.h"
#include "transformer/layers.h"

namespace fenlei::transformer {

struct MlmHead {
  Linear dense;  // hidden_size -> embedding_size
  hf::Activation activation = hf::Activation::kGeluErf;
  float layer_norm_eps = 1e-12f;
  std::vector<float> ln_gamma, ln_beta;  // embedding_size
  std::vector<float> decoder_bias;       // vocab_size

  // As transformers initialises it: dense weights normal(0, initializer_range) from `seed`,
  // biases zero, LayerNorm ones/zeros.
  static MlmHead init(const hf::EncoderConfig& config, uint64_t seed);
};

// Gradients shaped like the head, plus the tied decoder's gradient of the word table
// (vocab_size x embedding_size, dense).
struct MlmHeadGrads {
  Linear dense;
  std::vector<float> ln_gamma, ln_beta, decoder_bias;
  std::vector<float> word;

  static MlmHeadGrads zeros_like(const MlmHead& head, int vocab_size);
  void clear();
  void add(const MlmHeadGrads& other);
  void scale(float s);
  double squared_norm() const;
};

// Scratch of one forward/backward, reused between texts (one per thread).
struct MlmWorkspace {
  std::vector<float> x, pre, act, xhat, inv, t, logits, dlogits, dt, dx;
};

struct MlmResult {
  double loss = 0;  // summed over the positions (not scaled)
  int correct = 0;  // positions whose arg-max is the target
};

// Cross-entropy of `targets` at `positions` of the final hidden states (len x hidden_size).
// With `grads`, adds d(loss * grad_scale) to them and writes d(loss * grad_scale)/d(hidden)
// into `dhidden` (len x hidden_size, zero off the positions).
MlmResult mlm_forward_backward(const MlmHead& head, const std::vector<float>& word_embeddings,
                               int vocab_size, const float* hidden, int len, int hidden_size,
                               const std::vector<int32_t>& positions,
                               const std::vector<int32_t>& targets, float grad_scale,
                               MlmWorkspace* ws, MlmHeadGrads* grads, float* dhidden);

}  // namespace fenlei::transformer
