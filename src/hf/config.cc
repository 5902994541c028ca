#include "hf/config.h"

#include <tuple>

#include <nlohmann/json.hpp>

#include "base/file_util.h"

namespace fenlei::hf {
namespace {

using nlohmann::json;

class Fields {
 public:
  Fields(const json& j, const std::string& where) : j_(j), where_(where) {}

  Status error(const std::string& field, const std::string& what) const {
    return invalid_argument_error(where_ + ": field '" + field + "' " + what);
  }

  // An integer field within [lo, hi]; `fallback` when absent and fallback >= lo.
  StatusOr<int> integer(const std::string& field, int lo, int hi, int fallback = -1) const {
    auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) {
      if (fallback >= lo) return fallback;
      return error(field, "is missing");
    }
    if (!it->is_number_integer()) return error(field, "must be an integer");
    const int64_t v = it->get<int64_t>();
    if (v < lo || v > hi)
      return error(field, "is " + std::to_string(v) + ", outside [" + std::to_string(lo) + ", " +
                              std::to_string(hi) + "]");
    return static_cast<int>(v);
  }

  StatusOr<std::string> string(const std::string& field, const std::string& fallback) const {
    auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) return fallback;
    if (!it->is_string()) return error(field, "must be a string");
    return it->get<std::string>();
  }

 private:
  const json& j_;
  std::string where_;
};

}  // namespace

StatusOr<EncoderConfig> parse_encoder_config(std::string_view text, const std::string& where) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return invalid_argument_error(where + ": not a JSON object");
  Fields f(j, where);
  EncoderConfig c;
  FENLEI_ASSIGN_OR_RETURN(c.model_type, f.string("model_type", ""));
  if (c.model_type != "bert" && c.model_type != "electra")
    return f.error("model_type", "is '" + c.model_type + "'; supported: bert, electra");
  auto arch = j.find("architectures");
  if (arch != j.end() && !arch->is_null()) {
    if (!arch->is_array() || (!arch->empty() && !(*arch)[0].is_string()))
      return f.error("architectures", "must be a list of strings");
    if (!arch->empty()) c.architecture = (*arch)[0].get<std::string>();
  }
  constexpr int kMaxDim = 1 << 16;
  FENLEI_ASSIGN_OR_RETURN(c.vocab_size, f.integer("vocab_size", 1, 1 << 22));
  FENLEI_ASSIGN_OR_RETURN(c.hidden_size, f.integer("hidden_size", 1, kMaxDim));
  FENLEI_ASSIGN_OR_RETURN(c.num_layers, f.integer("num_hidden_layers", 1, 256));
  FENLEI_ASSIGN_OR_RETURN(c.num_heads, f.integer("num_attention_heads", 1, 1024));
  if (c.hidden_size % c.num_heads != 0)
    return f.error("num_attention_heads", "(" + std::to_string(c.num_heads) +
                                              ") does not divide hidden_size (" +
                                              std::to_string(c.hidden_size) + ")");
  FENLEI_ASSIGN_OR_RETURN(c.intermediate_size, f.integer("intermediate_size", 1, 1 << 18));
  FENLEI_ASSIGN_OR_RETURN(c.max_position_embeddings,
                          f.integer("max_position_embeddings", 2, 1 << 16, 512));
  FENLEI_ASSIGN_OR_RETURN(c.type_vocab_size, f.integer("type_vocab_size", 1, 1024, 2));
  FENLEI_ASSIGN_OR_RETURN(c.pad_token_id, f.integer("pad_token_id", 0, c.vocab_size - 1, 0));
  c.embedding_size = c.hidden_size;
  if (c.model_type == "electra") {
    FENLEI_ASSIGN_OR_RETURN(c.embedding_size,
                            f.integer("embedding_size", 1, kMaxDim, c.hidden_size));
  }
  auto eps = j.find("layer_norm_eps");
  if (eps != j.end() && !eps->is_null()) {
    if (!eps->is_number()) return f.error("layer_norm_eps", "must be a number");
    const double v = eps->get<double>();
    if (!(v > 0 && v < 1)) return f.error("layer_norm_eps", "must be in (0, 1)");
    c.layer_norm_eps = static_cast<float>(v);
  }
  for (auto [field, target, lo, hi] :
       {std::tuple<const char*, float*, double, double>{"hidden_dropout_prob",
                                                        &c.hidden_dropout_prob, 0.0, 0.99},
        {"attention_probs_dropout_prob", &c.attention_probs_dropout_prob, 0.0, 0.99},
        {"classifier_dropout", &c.classifier_dropout, 0.0, 0.99},
        {"initializer_range", &c.initializer_range, 0.0, 10.0}}) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_number()) return f.error(field, "must be a number");
    const double v = it->get<double>();
    if (!(v >= lo && v <= hi))
      return f.error(field, "is " + std::to_string(v) + ", outside [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
    *target = static_cast<float>(v);
  }
  FENLEI_ASSIGN_OR_RETURN(c.hidden_act_name, f.string("hidden_act", "gelu"));
  if (c.hidden_act_name == "gelu") {
    c.hidden_act = Activation::kGeluErf;
  } else if (c.hidden_act_name == "gelu_new" || c.hidden_act_name == "gelu_pytorch_tanh" ||
             c.hidden_act_name == "gelu_fast") {
    c.hidden_act = Activation::kGeluTanh;
  } else if (c.hidden_act_name == "relu") {
    c.hidden_act = Activation::kRelu;
  } else {
    return f.error("hidden_act", "is '" + c.hidden_act_name +
                                     "'; supported: gelu, gelu_new, gelu_pytorch_tanh, relu");
  }
  FENLEI_ASSIGN_OR_RETURN(std::string pos_type, f.string("position_embedding_type", "absolute"));
  if (pos_type != "absolute")
    return f.error("position_embedding_type", "is '" + pos_type + "'; only absolute is supported");
  FENLEI_ASSIGN_OR_RETURN(std::string problem, f.string("problem_type", ""));
  if (problem == "multi_label_classification" || problem == "regression")
    return f.error("problem_type", "is '" + problem + "'; only single-label classification");
  for (const char* flag : {"is_decoder", "add_cross_attention"}) {
    auto it = j.find(flag);
    if (it != j.end() && !(it->is_boolean() && !it->get<bool>()) && !it->is_null())
      return f.error(flag, "is set; only encoders are supported");
  }

  auto id2label = j.find("id2label");
  if (id2label != j.end() && !id2label->is_null()) {
    if (!id2label->is_object() || id2label->size() > 100000)
      return f.error("id2label", "must be an object {\"0\": label, ...}");
    c.labels.assign(id2label->size(), "");
    std::vector<bool> seen(c.labels.size(), false);
    for (auto it = id2label->begin(); it != id2label->end(); ++it) {
      size_t id = 0;
      const std::string& key = it.key();
      if (key.empty() || key.size() > 6 || key.find_first_not_of("0123456789") != std::string::npos)
        return f.error("id2label", "key '" + key + "' is not a label id");
      id = std::stoul(key);
      if (id >= c.labels.size() || seen[id])
        return f.error("id2label", "ids must be 0..n-1 without gaps (key '" + key + "')");
      if (!it.value().is_string()) return f.error("id2label", "label " + key + " is not a string");
      seen[id] = true;
      c.labels[id] = it.value().get<std::string>();
    }
  }
  return c;
}

StatusOr<EncoderConfig> read_encoder_config(const std::string& path) {
  FENLEI_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_encoder_config(text, path);
}

}  // namespace fenlei::hf
