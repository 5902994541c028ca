#include "transformer/encoder_engine.h"

#include "quant/int8_model.h"
#include "transformer/checkpoint.h"
#include "transformer/packed_parallel.h"

namespace fenlei::transformer {

namespace {

// The pool for `threads` threads per text (nullptr for 1), made once per scratch, that is per
// calling thread or Workspace: concurrent callers never share one (ThreadPool runs one
// parallel-for at a time), and none waits for another's text.
ThreadPool* intra_op_pool(EncoderScratch& s, int threads) {
  if (threads <= 1) return nullptr;
  if (!s.own_pool || s.own_pool->size() != threads) {
    s.own_pool = std::make_unique<ThreadPool>(threads, kIntraOpSpinMicroseconds);
  }
  return s.own_pool.get();
}

}  // namespace

EncoderEngine::EncoderEngine(EncoderWeights weights, nlohmann::json source)
    : weights_(pack_encoder(std::move(weights))), source_(std::move(source)) {}

std::string EncoderEngine::architecture_name() const {
  const hf::EncoderConfig& c = weights_.config;
  return c.model_type + "-L" + std::to_string(c.num_layers) + "-H" + std::to_string(c.hidden_size);
}

int64_t EncoderEngine::parameter_count() const { return encoder_parameter_count(weights_); }

void EncoderEngine::predict_proba(const nn::Batch& batch, core::Scratch& scratch,
                                  float* out) const {
  const int classes = num_classes();
  // The forward pass's buffers live in the caller's per-thread scratch: no allocation per text
  // once they have grown to the longest text.
  EncoderScratch& s = scratch.get<EncoderScratch>();
  s.pool = intra_op_pool(s, scratch.intra_op_threads);
  std::vector<int32_t>& ids = s.ids;
  // Each text runs at its own length: no padding, so no work is wasted on it.
  for (size_t i = 0; i < batch.size(); ++i) {
    ids.assign(batch.ids.begin() + batch.offsets[i], batch.ids.begin() + batch.offsets[i + 1]);
    std::vector<float> p = classify_logits(weights_, ids, nullptr, &s);
    softmax_in_place(&p);
    std::copy(p.begin(), p.end(), out + i * classes);
  }
}

StatusOr<std::unique_ptr<core::Engine>> EncoderEngine::quantize(
    const quant::QuantizeOptions& options) const {
  if (weights_.quantized())
    return failed_precondition_error("the transformer encoder is already int8");
  if (weights_.bf16()) return failed_precondition_error("the transformer encoder is already bf16");
  nlohmann::json source = source_;
  source["quantized_from"] = "float32";
  if (options.precision == quant::QuantizeOptions::Precision::kBf16)
    return std::unique_ptr<core::Engine>(
        std::make_unique<EncoderEngine>(bf16_encoder(weights()), std::move(source)));
  return std::unique_ptr<core::Engine>(
      std::make_unique<EncoderEngine>(quantize_encoder(weights()), std::move(source)));
}

nlohmann::json EncoderEngine::architecture_json() const {
  return {{"config", config_to_json(weights_.config)},
          {"source", source_},
          {"int8", weights_.quantized()},
          {"bf16", weights_.bf16()}};
}

StatusOr<std::unique_ptr<core::Engine>> EncoderEngine::load(const core::EngineSource& s) {
  if (!s.metadata.contains("architecture") || !s.metadata["architecture"].is_object() ||
      !s.metadata["architecture"].contains("config"))
    return data_loss_error(s.name + ": metadata architecture lacks the encoder config");
  const nlohmann::json& arch = s.metadata["architecture"];
  FENLEI_ASSIGN_OR_RETURN(EncoderWeights w, encoder_from_tensors(arch["config"], s.file.tensors, s.name));
  if (arch.contains("bf16") && arch["bf16"].is_boolean() && arch["bf16"].get<bool>()) {
    if (w.quantized()) return data_loss_error(s.name + ": an encoder cannot be both int8 and bf16");
    w = bf16_encoder(w);
  }
  if (w.head == HeadKind::kNone)
    return failed_precondition_error(
        s.name + ": the transformer encoder has no classification head; fine-tune it first: "
                 "fenlei train --init " + s.name + " --input train.tsv --output model.fenlei");
  nlohmann::json source = arch.contains("source") ? arch["source"] : nlohmann::json::object();
  return std::unique_ptr<core::Engine>(std::make_unique<EncoderEngine>(std::move(w), source));
}

core::EngineFile EncoderEngine::to_file() const {
  core::EngineFile f;
  f.tensors = weights_.packed() ? encoder_to_tensors(unpack_encoder(weights_))
                                : encoder_to_tensors(weights_);
  return f;
}

void WordPieceCoreTokenizer::encode(std::string_view text, std::vector<int32_t>* ids) const {
  t_.encode_ids(text, ids);
}

void WordPieceCoreTokenizer::tokenize(std::string_view text,
                                      std::vector<std::string>* tokens) const {
  *tokens = t_.tokenize(text);
}

int32_t WordPieceCoreTokenizer::token_id(std::string_view token) const {
  const int32_t id = t_.id_of(std::string(token));
  return id >= 0 ? id : t_.unk_id();
}

nlohmann::json WordPieceCoreTokenizer::settings_json() const {
  const hf::WordPieceSettings& s = t_.settings();
  nlohmann::json j = {{"tokenizer", "wordpiece"},
                      {"lowercase", s.lowercase},
                      {"tokenize_chinese_chars", s.tokenize_chinese_chars},
                      {"clean_text", s.clean_text},
                      {"nfc", s.nfc},
                      {"unk_token", s.unk_token},
                      {"cls_token", s.cls_token},
                      {"sep_token", s.sep_token},
                      {"pad_token", s.pad_token},
                      {"mask_token", s.mask_token},
                      {"continuing_prefix", s.continuing_prefix},
                      {"max_input_chars_per_word", s.max_input_chars_per_word},
                      {"model_max_length", s.model_max_length},
                      {"source", s.source},
                      {"vocab_size", id_space_}};
  j["strip_accents"] = s.strip_accents ? nlohmann::json(*s.strip_accents) : nlohmann::json();
  return j;
}

void WordPieceCoreTokenizer::write_to(format::ModelFile* file) const {
  file->vocabulary = t_.settings().vocab;
}

StatusOr<hf::WordPieceSettings> wordpiece_settings_from_json(const nlohmann::json& j,
                                                             std::vector<std::string> vocab,
                                                             const std::string& where) {
  auto bad = [&](const char* field) {
    return data_loss_error(where + ": preprocessing field '" + field + "' missing or wrong type");
  };
  if (!j.is_object()) return data_loss_error(where + ": preprocessing is not an object");
  hf::WordPieceSettings s;
  s.vocab = std::move(vocab);
  for (auto [field, target] : {std::pair<const char*, bool*>{"lowercase", &s.lowercase},
                               {"tokenize_chinese_chars", &s.tokenize_chinese_chars},
                               {"clean_text", &s.clean_text},
                               {"nfc", &s.nfc}}) {
    if (!j.contains(field) || !j[field].is_boolean()) return bad(field);
    *target = j[field].get<bool>();
  }
  for (auto [field, target] : {std::pair<const char*, std::string*>{"unk_token", &s.unk_token},
                               {"cls_token", &s.cls_token},
                               {"sep_token", &s.sep_token},
                               {"pad_token", &s.pad_token},
                               {"mask_token", &s.mask_token},
                               {"continuing_prefix", &s.continuing_prefix},
                               {"source", &s.source}}) {
    if (!j.contains(field) || !j[field].is_string()) return bad(field);
    *target = j[field].get<std::string>();
  }
  if (!j.contains("max_input_chars_per_word") || !j["max_input_chars_per_word"].is_number_integer())
    return bad("max_input_chars_per_word");
  s.max_input_chars_per_word = j["max_input_chars_per_word"].get<int>();
  if (!j.contains("model_max_length") || !j["model_max_length"].is_number_integer() ||
      j["model_max_length"].get<int64_t>() < 2)
    return bad("model_max_length");
  s.model_max_length = j["model_max_length"].get<int64_t>();
  if (j.contains("strip_accents") && j["strip_accents"].is_boolean())
    s.strip_accents = j["strip_accents"].get<bool>();
  return s;
}

}  // namespace fenlei::transformer

namespace fenlei::transformer {

StatusOr<std::unique_ptr<core::Tokenizer>> WordPieceCoreTokenizer::load(
    const core::EngineSource& s) {
  if (!s.metadata.contains("preprocessing"))
    return data_loss_error(s.name + ": metadata lacks the preprocessing settings");
  const nlohmann::json& j = s.metadata["preprocessing"];
  FENLEI_ASSIGN_OR_RETURN(hf::WordPieceSettings settings,
                          wordpiece_settings_from_json(j, s.file.vocabulary, s.name));
  if (!j.contains("vocab_size") || !j["vocab_size"].is_number_integer() ||
      j["vocab_size"].get<int64_t>() < static_cast<int64_t>(settings.vocab.size()))
    return data_loss_error(s.name + ": preprocessing field 'vocab_size' missing or too small");
  const int64_t id_space = j["vocab_size"].get<int64_t>();
  auto t = WordPieceTokenizer::create(std::move(settings));
  if (!t.ok()) return data_loss_error(s.name + ": " + t.status().message());
  return std::unique_ptr<core::Tokenizer>(
      std::make_unique<WordPieceCoreTokenizer>(std::move(*t), id_space));
}

}  // namespace fenlei::transformer
