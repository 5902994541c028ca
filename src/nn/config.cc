// ModelConfig presets, validation and JSON round trip.
#include "nn/config.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "nn/dpcnn_config.h"

namespace fenlei::nn {

const char* arch_name(Arch a) {
  switch (a) {
    case Arch::kCnn: return "cnn";
    case Arch::kFastText: return "fasttext";
    case Arch::kBiRnn: return "birnn";
    case Arch::kRcnn: return "rcnn";
    case Arch::kDpcnn: return "dpcnn";
  }
  return "cnn";
}

const char* cell_name(Cell c) { return c == Cell::kGru ? "gru" : "lstm"; }

const char* pooling_name(Pooling p) {
  switch (p) {
    case Pooling::kAttention: return "attention";
    case Pooling::kMax: return "max";
    case Pooling::kLast: return "last";
  }
  return "attention";
}

StatusOr<Cell> parse_cell(const std::string& s) {
  if (s == "lstm") return Cell::kLstm;
  if (s == "gru") return Cell::kGru;
  return invalid_argument_error("unknown cell '" + s + "' (expected lstm or gru)");
}

StatusOr<Pooling> parse_pooling(const std::string& s) {
  if (s == "attention") return Pooling::kAttention;
  if (s == "max") return Pooling::kMax;
  if (s == "last") return Pooling::kLast;
  return invalid_argument_error("unknown pooling '" + s + "' (expected attention, max or last)");
}

const char* output_name(Output o) {
  switch (o) {
    case Output::kAuto: return "auto";
    case Output::kSigmoid: return "sigmoid";
    case Output::kSoftmax: return "softmax";
    case Output::kOva: return "ova";
  }
  return "auto";
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kRelu: return "relu";
    case Activation::kTanh: return "tanh";
    case Activation::kGelu: return "gelu";
  }
  return "relu";
}

StatusOr<Arch> parse_arch(const std::string& s) {
  if (s == "cnn") return Arch::kCnn;
  if (s == "fasttext") return Arch::kFastText;
  if (s == "birnn") return Arch::kBiRnn;
  if (s == "rcnn") return Arch::kRcnn;
  if (s == "dpcnn") return Arch::kDpcnn;
  return invalid_argument_error("unknown arch '" + s +
                                "' (expected cnn, fasttext, birnn, rcnn or dpcnn)");
}

StatusOr<Output> parse_output(const std::string& s) {
  if (s == "auto") return Output::kAuto;
  if (s == "sigmoid") return Output::kSigmoid;
  if (s == "softmax") return Output::kSoftmax;
  if (s == "ova") return Output::kOva;
  return invalid_argument_error("unknown output '" + s +
                                "' (expected auto, sigmoid, softmax or ova)");
}

StatusOr<Activation> parse_activation(const std::string& s) {
  if (s == "relu") return Activation::kRelu;
  if (s == "tanh") return Activation::kTanh;
  if (s == "gelu") return Activation::kGelu;
  return invalid_argument_error("unknown activation '" + s + "' (expected relu, tanh or gelu)");
}

StatusOr<ModelConfig> ModelConfig::preset(const std::string& name) {
  ModelConfig c;
  c.preset_name = name;
  if (name == "seed-cnn") {
    // The product's specified network (Keras: Embedding(16) -> Conv1D(128, 5, relu) -> GMP).
    c.arch = Arch::kCnn;
    c.embed_dim = 16;
    c.widths = {5};
    c.filters = 128;
  } else if (name == "textcnn") {
    // Kim (2014), CNN-rand: widths 3/4/5 x 100 filters, dropout 0.5 on the pooled features.
    c.arch = Arch::kCnn;
    c.embed_dim = 128;
    c.widths = {3, 4, 5};
    c.filters = 100;
    c.dropout = 0.5f;
  } else if (name == "fasttext") {
    c.arch = Arch::kFastText;
    c.embed_dim = 100;
    c.widths.clear();
    c.filters = 0;
    c.output = Output::kSoftmax;  // fastText's own loss
    // bigram_buckets stays 0 here: the hashed-bigram table is a training default of the preset
    // (train/preset_defaults), so that `fenlei train --bigram-buckets` can size it.
  } else if (name == "bilstm" || name == "gru" || name == "rcnn") {
    // Issue 15: recurrent presets. 128-dim embeddings as textcnn, 128 units per direction;
    // docs/accuracy.md has the measurements behind the pooling choices.
    c.arch = name == "rcnn" ? Arch::kRcnn : Arch::kBiRnn;
    c.cell = name == "gru" ? Cell::kGru : Cell::kLstm;
    c.embed_dim = 128;
    c.widths.clear();
    c.filters = 0;
    c.rnn_hidden = 128;
    c.pooling = Pooling::kAttention;
    if (name == "rcnn") c.rcnn_dim = 128;
    c.dropout = 0.5f;
  } else if (name == "dpcnn") {
    set_dpcnn_preset(&c);
  } else {
    return invalid_argument_error("unknown model preset '" + name +
                                  "' (expected seed-cnn, textcnn or fasttext; recurrent: bilstm, "
                                  "gru or rcnn; deep: dpcnn)");
  }
  return c;
}

Status ModelConfig::validate_architecture() const {
  auto bad = [](const std::string& m) { return invalid_argument_error("model config: " + m); };
  if (embed_dim < 1 || embed_dim > 4096) return bad("embed_dim must be in [1, 4096]");
  if (arch == Arch::kCnn) {
    if (widths.empty()) return bad("widths must list at least one conv width for a cnn");
    if (widths.size() > 16) return bad("at most 16 conv widths");
    std::set<int> seen;
    for (int w : widths) {
      if (w < 1 || w > 64) return bad("conv width " + std::to_string(w) + " not in [1, 64]");
      if (!seen.insert(w).second) return bad("conv width " + std::to_string(w) + " repeated");
    }
    if (filters < 1 || filters > 8192) return bad("filters must be in [1, 8192]");
  } else if (arch == Arch::kDpcnn) {
    FENLEI_RETURN_IF_ERROR(validate_dpcnn(*this));
  } else {
    if (!widths.empty()) return bad("widths apply to cnn models only");
  }
  if (recurrent()) {
    if (rnn_hidden < 1 || rnn_hidden > 4096) return bad("rnn_hidden must be in [1, 4096]");
    if (arch == Arch::kRcnn && (rcnn_dim < 1 || rcnn_dim > 8192))
      return bad("rcnn_dim must be in [1, 8192]");
  }
  if (arch != Arch::kDpcnn && blocks != 0) return bad("blocks apply to dpcnn models only");
  if (hidden.size() > 8) return bad("at most 8 hidden layers");
  for (int h : hidden)
    if (h < 1 || h > 16384) return bad("hidden layer size must be in [1, 16384]");
  if (!(dropout >= 0.0f && dropout < 1.0f)) return bad("dropout must be in [0, 1)");
  if (bigram_buckets < 0 || bigram_buckets > (int64_t{1} << 26))
    return bad("bigram_buckets must be in [0, 67108864]");
  if (arch != Arch::kFastText && bigram_buckets != 0)
    return bad("bigram_buckets apply to fasttext only");
  return Status();
}

Status ModelConfig::validate() const {
  FENLEI_RETURN_IF_ERROR(validate_architecture());
  auto bad = [](const std::string& m) { return invalid_argument_error("model config: " + m); };
  if (vocab_size < 2 || vocab_size > (int64_t{1} << 28))
    return bad("vocab_size must be in [2, 2^28] (it includes pad and unk)");
  if (num_classes < 2 || num_classes > 100000) return bad("num_classes must be in [2, 100000]");
  if (output == Output::kSigmoid && num_classes != 2)
    return bad("sigmoid output needs exactly 2 classes (use softmax for " +
               std::to_string(num_classes) + ")");
  return Status();
}

bool ModelConfig::sigmoid_output() const {
  if (output == Output::kSigmoid) return true;
  if (output == Output::kSoftmax || output == Output::kOva) return false;
  return num_classes == 2;
}

int ModelConfig::output_units() const { return sigmoid_output() ? 1 : num_classes; }

int ModelConfig::max_width() const {
  int m = 0;
  for (int w : widths) m = std::max(m, w);
  return m;
}

int ModelConfig::feature_dim() const {
  if (arch == Arch::kBiRnn) return 2 * rnn_hidden;
  if (arch == Arch::kRcnn) return rcnn_dim;
  if (arch == Arch::kDpcnn) return filters;
  return arch == Arch::kCnn ? filters * static_cast<int>(widths.size()) : embed_dim;
}

nlohmann::json ModelConfig::to_json() const {
  nlohmann::json j;
  j["preset"] = preset_name;
  j["arch"] = arch_name(arch);
  j["embed_dim"] = embed_dim;
  j["widths"] = widths;
  j["filters"] = filters;
  j["hidden"] = hidden;
  j["activation"] = activation_name(activation);
  j["dropout"] = dropout;
  j["output"] = output_name(output);
  j["vocab_size"] = vocab_size;
  j["num_classes"] = num_classes;
  j["bigram_buckets"] = bigram_buckets;
  if (recurrent()) {
    j["cell"] = cell_name(cell);
    j["rnn_hidden"] = rnn_hidden;
    if (arch == Arch::kBiRnn) j["pooling"] = pooling_name(pooling);
    if (arch == Arch::kRcnn) j["rcnn_dim"] = rcnn_dim;
  }
  // Only a dpcnn writes "blocks", so other models' files stay readable by older builds.
  if (arch == Arch::kDpcnn) j["blocks"] = blocks;
  return j;
}

StatusOr<ModelConfig> ModelConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return invalid_argument_error("model config: expected a JSON object");
  ModelConfig c;
  // nlohmann throws on type mismatches; catch here so nothing escapes the API.
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const nlohmann::json& v = it.value();
      if (k == "preset") {
        c.preset_name = v.get<std::string>();
      } else if (k == "arch") {
        FENLEI_ASSIGN_OR_RETURN(c.arch, parse_arch(v.get<std::string>()));
      } else if (k == "embed_dim") {
        c.embed_dim = v.get<int>();
      } else if (k == "widths") {
        c.widths = v.get<std::vector<int>>();
      } else if (k == "filters") {
        c.filters = v.get<int>();
      } else if (k == "hidden") {
        c.hidden = v.get<std::vector<int>>();
      } else if (k == "activation") {
        FENLEI_ASSIGN_OR_RETURN(c.activation, parse_activation(v.get<std::string>()));
      } else if (k == "dropout") {
        c.dropout = v.get<float>();
      } else if (k == "output") {
        FENLEI_ASSIGN_OR_RETURN(c.output, parse_output(v.get<std::string>()));
      } else if (k == "vocab_size") {
        c.vocab_size = v.get<int64_t>();
      } else if (k == "num_classes") {
        c.num_classes = v.get<int>();
      } else if (k == "bigram_buckets") {
        c.bigram_buckets = v.get<int64_t>();
      } else if (k == "cell") {
        FENLEI_ASSIGN_OR_RETURN(c.cell, parse_cell(v.get<std::string>()));
      } else if (k == "rnn_hidden") {
        c.rnn_hidden = v.get<int>();
      } else if (k == "pooling") {
        FENLEI_ASSIGN_OR_RETURN(c.pooling, parse_pooling(v.get<std::string>()));
      } else if (k == "rcnn_dim") {
        c.rcnn_dim = v.get<int>();
      } else if (k == "blocks") {
        c.blocks = v.get<int>();
      } else {
        return invalid_argument_error("model config: unknown key '" + k + "'");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument_error(std::string("model config: wrong value type: ") + e.what());
  }
  FENLEI_RETURN_IF_ERROR(c.validate_architecture());
  return c;
}

StatusOr<ModelConfig> ModelConfig::with_overrides(const ModelConfig& base,
                                                  const nlohmann::json& overrides) {
  if (!overrides.is_object())
    return invalid_argument_error("model config overrides: expected a JSON object");
  nlohmann::json j = base.to_json();
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    if (!j.contains(it.key()))
      return invalid_argument_error("model config: unknown key '" + it.key() + "'");
    j[it.key()] = it.value();
  }
  return from_json(j);
}

bool ModelConfig::operator==(const ModelConfig& o) const {
  return preset_name == o.preset_name && arch == o.arch && embed_dim == o.embed_dim &&
         widths == o.widths && filters == o.filters && hidden == o.hidden &&
         activation == o.activation && dropout == o.dropout && output == o.output &&
         vocab_size == o.vocab_size && num_classes == o.num_classes &&
         bigram_buckets == o.bigram_buckets && cell == o.cell && rnn_hidden == o.rnn_hidden &&
         pooling == o.pooling && rcnn_dim == o.rcnn_dim && blocks == o.blocks;
}

}  // namespace fenlei::nn
