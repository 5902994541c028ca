// ModelConfig: the architecture of a text classifier (presets seed-cnn, textcnn, fasttext plus
// overrides), its validation, and its JSON form stored in the model file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fenlei/status.h"

namespace fenlei::nn {

// Which layer stack sits between the token ids and the dense head.
enum class Arch {
  kCnn,       // embedding -> conv1d per width (ReLU) -> max over time -> concat
  kFastText,  // mean of token and hashed-bigram embeddings
  kBiRnn,     // embedding -> bidirectional LSTM/GRU (packed, own length) -> pooling (issue 15)
  kRcnn,      // Lai et al. 2015: [left context; embedding; right context] -> tanh -> max
  kDpcnn,     // Deep Pyramid CNN (Johnson & Zhang 2017): region embedding, residual conv blocks
              // halving the length, see nn/dpcnn.h
};

// Recurrent cell of kBiRnn / kRcnn (PyTorch gate conventions; see nn/lstm.h, nn/gru.h).
enum class Cell { kLstm, kGru };
// How kBiRnn turns its per-token outputs into one feature vector.
enum class Pooling {
  kAttention,  // softmax(w . tanh(o_t)) weighted sum of the outputs (Zhou et al. 2016)
  kMax,        // max over time of the outputs
  kLast,       // [forward final state; backward final state]
};

// Output layer. kAuto means: sigmoid (one logit) for 2 classes, softmax otherwise. The same rule
// holds for every preset, textcnn included: a single sigmoid logit is exactly as expressive as a
// 2-way softmax (only logit differences matter) and halves the output layer.
// kOva ("one versus all", fastText's name): one sigmoid per class, trained independently, for
// multi-label data (a text may have any number of the labels); probabilities do not sum to 1.
enum class Output { kAuto, kSigmoid, kSoftmax, kOva };

// Activation of the hidden dense layers (the conv layers always use ReLU, fused with pooling).
enum class Activation { kRelu, kTanh, kGelu };

struct ModelConfig {
  std::string preset_name = "seed-cnn";  // informational: the preset this config started from
  Arch arch = Arch::kCnn;
  int embed_dim = 16;
  std::vector<int> widths = {5};  // conv window widths (kCnn only)
  int filters = 128;              // filters per width (kCnn); channels of every layer (kDpcnn)
  int blocks = 0;                 // downsampling blocks (kDpcnn only; nn/dpcnn.h)
  std::vector<int> hidden;        // sizes of dense layers between the features and the output
  Activation activation = Activation::kRelu;
  float dropout = 0.0f;  // on the pooled features and after each hidden layer, training only
  Output output = Output::kAuto;
  // Recurrent presets only (kBiRnn, kRcnn); written to JSON only for them, so files of the other
  // architectures are unchanged and older files load with these defaults.
  Cell cell = Cell::kLstm;
  int rnn_hidden = 0;                    // units per direction
  Pooling pooling = Pooling::kAttention; // kBiRnn only
  int rcnn_dim = 0;                      // kRcnn only: size of the tanh projection

  // Filled by the trainer from the data.
  int64_t vocab_size = 0;      // rows of embed/weight, including pad (0) and unk (1)
  int num_classes = 0;         // >= 2
  int64_t bigram_buckets = 0;  // rows of bigram/weight (kFastText only; 0 = no bigrams)

  // "seed-cnn" (default), "textcnn" (Kim 2014), "fasttext", "bilstm", "gru", "rcnn", "dpcnn"
  // (Johnson & Zhang 2017). Errors: kInvalidArgument.
  static StatusOr<ModelConfig> preset(const std::string& name);

  // Checks every field; the message names the field and the allowed range. Errors: kInvalidArgument.
  Status validate() const;
  // Like validate() but without the data-dependent fields (vocab_size, num_classes), for
  // checking a user's --model overrides before the data is read.
  Status validate_architecture() const;

  // Output logits: 1 for sigmoid, num_classes for softmax. Requires num_classes set.
  bool sigmoid_output() const;
  // One independent sigmoid per class (Output::kOva): a multi-label model.
  bool multi_label() const { return output == Output::kOva; }
  int output_units() const;
  int max_width() const;
  bool recurrent() const { return arch == Arch::kBiRnn || arch == Arch::kRcnn; }
  // Size of the feature vector fed to the dense head.
  int feature_dim() const;

  nlohmann::json to_json() const;
  // Unknown keys are errors (catches typos in hand-written configs); missing keys keep defaults.
  // Errors: kInvalidArgument.
  static StatusOr<ModelConfig> from_json(const nlohmann::json& j);

  // The preset or config `base` with some keys replaced, e.g. {"embed_dim": 64, "hidden": [128]}
  // from a --model-config flag. Unknown keys and bad values are errors. Errors: kInvalidArgument.
  static StatusOr<ModelConfig> with_overrides(const ModelConfig& base,
                                              const nlohmann::json& overrides);

  bool operator==(const ModelConfig& o) const;
  bool operator!=(const ModelConfig& o) const { return !(*this == o); }
};

const char* arch_name(Arch a);
const char* output_name(Output o);
const char* activation_name(Activation a);
StatusOr<Arch> parse_arch(const std::string& s);
StatusOr<Output> parse_output(const std::string& s);
StatusOr<Activation> parse_activation(const std::string& s);
const char* cell_name(Cell c);
const char* pooling_name(Pooling p);
StatusOr<Cell> parse_cell(const std::string& s);
StatusOr<Pooling> parse_pooling(const std::string& s);

}  // namespace fenlei::nn
