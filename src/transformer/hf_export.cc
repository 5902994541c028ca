#include "transformer/hf_export.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hf/safetensors_writer.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"

namespace fenlei::transformer {
namespace {

using nlohmann::json;

// The shortest decimal that reads back as the same float (1e-12, not 9.999999960041972e-13):
// transformers reads it as a double, fenlei as a float, and both get what the model used.
double shortest_decimal(float f) {
  char buf[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f) break;
  }
  return std::strtod(buf, nullptr);
}

std::string activation_name(const hf::EncoderConfig& c) {
  if (!c.hidden_act_name.empty()) return c.hidden_act_name;
  switch (c.hidden_act) {
    case hf::Activation::kGeluErf: return "gelu";
    case hf::Activation::kGeluTanh: return "gelu_new";
    case hf::Activation::kRelu: return "relu";
  }
  return "gelu";
}

json token_or_null(const std::string& t) { return t.empty() ? json() : json(t); }

StatusOr<std::string> vocab_txt(const std::vector<std::string>& vocab) {
  std::string out;
  for (size_t i = 0; i < vocab.size(); ++i) {
    // vocab.txt is one token per line; Python's text mode also ends lines at '\r'.
    if (vocab[i].find_first_of("\r\n") != std::string::npos)
      return failed_precondition_error("vocabulary token " + std::to_string(i) +
                                       " contains a line break; vocab.txt cannot hold it");
    out += vocab[i];
    out += '\n';
  }
  return out;
}

json tokenizer_config_json(const hf::WordPieceSettings& s) {
  return {{"tokenizer_class", "BertTokenizer"},
          {"do_lower_case", s.lowercase},
          {"strip_accents", s.strip_accents ? json(*s.strip_accents) : json()},
          {"tokenize_chinese_chars", s.tokenize_chinese_chars},
          {"do_basic_tokenize", true},
          {"never_split", json()},
          {"model_max_length", s.model_max_length},
          {"clean_up_tokenization_spaces", true},
          {"unk_token", s.unk_token},
          {"sep_token", s.sep_token},
          {"pad_token", s.pad_token},
          {"cls_token", s.cls_token},
          {"mask_token", token_or_null(s.mask_token)}};
}

json special_tokens_json(const hf::WordPieceSettings& s) {
  json j = {{"unk_token", s.unk_token},
            {"sep_token", s.sep_token},
            {"pad_token", s.pad_token},
            {"cls_token", s.cls_token}};
  if (!s.mask_token.empty()) j["mask_token"] = s.mask_token;
  return j;
}

std::vector<std::string> tokenizer_warnings(const hf::WordPieceSettings& s) {
  std::vector<std::string> w;
  if (!s.nfc)
    w.push_back("the tokenizer came from tokenizer.json (no NFC normalisation); the exported "
                "vocab.txt is read with NFC by fenlei import (transformers' fast BertTokenizer "
                "skips it): texts not in NFC may tokenise differently after a re-import");
  if (!s.clean_text)
    w.push_back("the tokenizer does not clean text (clean_text false); BertTokenizer has no such "
                "setting in tokenizer_config.json and will drop control characters");
  if (s.continuing_prefix != "##")
    w.push_back("the word-piece prefix '" + s.continuing_prefix +
                "' is not BertTokenizer's '##'; pieces will be looked up with '##'");
  if (s.max_input_chars_per_word != 100)
    w.push_back("max_input_chars_per_word " + std::to_string(s.max_input_chars_per_word) +
                " is not BertTokenizer's 100");
  return w;
}

}  // namespace

json hf_config_json(const hf::EncoderConfig& c, const std::vector<std::string>& labels) {
  const bool electra = c.model_type == "electra";
  json id2label = json::object(), label2id = json::object();
  for (size_t i = 0; i < labels.size(); ++i) {
    id2label[std::to_string(i)] = labels[i];
    label2id[labels[i]] = static_cast<int64_t>(i);
  }
  json j = {{"architectures",
             {electra ? "ElectraForSequenceClassification" : "BertForSequenceClassification"}},
            {"model_type", c.model_type},
            {"vocab_size", c.vocab_size},
            {"hidden_size", c.hidden_size},
            {"num_hidden_layers", c.num_layers},
            {"num_attention_heads", c.num_heads},
            {"intermediate_size", c.intermediate_size},
            {"hidden_act", activation_name(c)},
            {"max_position_embeddings", c.max_position_embeddings},
            {"type_vocab_size", c.type_vocab_size},
            {"pad_token_id", c.pad_token_id},
            {"layer_norm_eps", shortest_decimal(c.layer_norm_eps)},
            {"position_embedding_type", "absolute"},
            {"problem_type", "single_label_classification"},
            {"is_decoder", false},
            {"add_cross_attention", false},
            {"hidden_dropout_prob", shortest_decimal(c.hidden_dropout_prob)},
            {"attention_probs_dropout_prob", shortest_decimal(c.attention_probs_dropout_prob)},
            {"classifier_dropout",
             c.classifier_dropout >= 0 ? json(shortest_decimal(c.classifier_dropout)) : json()},
            {"initializer_range", shortest_decimal(c.initializer_range)},
            {"dtype", "float32"},
            {"id2label", id2label},
            {"label2id", label2id}};
  if (electra) j["embedding_size"] = c.embedding_size;
  return j;
}

StatusOr<HfExport> export_hf_files(const EncoderWeights& w, const hf::WordPieceSettings& tokenizer,
                                   const std::vector<std::string>& labels) {
  const hf::EncoderConfig& c = w.config;
  if (w.quantized())
    return failed_precondition_error(
        "the model is int8; export the float model it was quantised from (fenlei's int8 also "
        "quantises activations at run time, which a float checkpoint cannot reproduce, so "
        "dequantised weights would give other probabilities than this model)");
  if (w.head != HeadKind::kBertPooler && w.head != HeadKind::kElectra)
    return failed_precondition_error("the encoder has no classification head to export");
  if (c.model_type != "bert" && c.model_type != "electra")
    return failed_precondition_error("model_type '" + c.model_type + "' cannot be exported");
  if ((w.head == HeadKind::kBertPooler) != (c.model_type == "bert"))
    return failed_precondition_error("the " + c.model_type +
                                     " encoder has the other architecture's head");
  // transformers builds embeddings_project exactly when embedding_size != hidden_size.
  if (w.has_projection != (c.embedding_size != c.hidden_size))
    return failed_precondition_error(
        "the encoder's embeddings_project does not match embedding_size == hidden_size, which "
        "transformers' " + c.model_type + " model would not reproduce");
  if (static_cast<int>(labels.size()) != w.num_labels())
    return invalid_argument_error("the model has " + std::to_string(labels.size()) +
                                  " labels but its classifier has " +
                                  std::to_string(w.num_labels()) + " outputs");
  json label_set = json::object();
  for (const auto& l : labels) {
    if (label_set.contains(l))
      return failed_precondition_error("label '" + l + "' appears twice; label2id needs unique labels");
    label_set[l] = true;
  }

  HfExport out;
  out.warnings = tokenizer_warnings(tokenizer);
  out.files["config.json"] = hf_config_json(c, labels).dump(2) + "\n";

  hf::TensorMap tensors;
  for (format::Tensor& t : encoder_to_tensors(w)) {
    if (t.dtype == format::DType::kBF16) {  // a bf16 model's dense weights, exported widened
      FENLEI_ASSIGN_OR_RETURN(std::vector<float> values, widen_bf16_tensor(t, "export"));
      tensors.emplace(t.name, hf::Tensor{t.shape, std::move(values)});
      continue;
    }
    if (t.dtype != format::DType::kF32 || t.data.size() % sizeof(float))
      return internal_error("encoder tensor '" + t.name + "' is not float32");
    hf::Tensor h;
    h.shape = t.shape;
    h.data.resize(t.data.size() / sizeof(float));
    if (!h.data.empty()) std::memcpy(h.data.data(), t.data.data(), t.data.size());
    std::string().swap(t.data);  // one copy of the weights at a time, not two
    tensors.emplace(t.name, std::move(h));
  }
  FENLEI_ASSIGN_OR_RETURN(out.files["model.safetensors"], hf::serialize_safetensors(tensors));
  FENLEI_ASSIGN_OR_RETURN(out.files["vocab.txt"], vocab_txt(tokenizer.vocab));
  out.files["tokenizer_config.json"] = tokenizer_config_json(tokenizer).dump(2) + "\n";
  out.files["special_tokens_map.json"] = special_tokens_json(tokenizer).dump(2) + "\n";
  return out;
}

StatusOr<HfExport> export_hf_files(const core::Engine& engine, const core::Tokenizer& tokenizer,
                                   const std::vector<std::string>& labels) {
  const auto* encoder = dynamic_cast<const EncoderEngine*>(&engine);
  const auto* wordpiece = dynamic_cast<const WordPieceCoreTokenizer*>(&tokenizer);
  if (encoder == nullptr || wordpiece == nullptr)
    return failed_precondition_error(
        "only transformer models (BERT/ELECTRA, made by fenlei import) export to Hugging Face; "
        "this model is " + engine.architecture_name() + " (engine '" + engine.kind() +
        "', tokenizer '" + tokenizer.kind() + "'), which transformers has no class for");
  return export_hf_files(encoder->weights(), wordpiece->wordpiece().settings(), labels);
}

}  // namespace fenlei::transformer
