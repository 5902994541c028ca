// The transformer encoder and its WordPiece tokenizer behind fenlei's one model interface
// (core/engine.h, core/tokenizer.h): engine kind "transformer", tokenizer kind "wordpiece".
// Once a model file is loaded, predict, test, explain, serve and info use them like any other
// model. core's registry (engine_registry.cc) knows both loaders.
#pragma once

#include <memory>

#include "engine/engine.h"
#include "engine/engine_registry.h"
#include "engine/tokenizer.h"
#include "transformer/encoder.h"
#include "transformer/wordpiece.h"

namespace fenlei::transformer {

inline constexpr const char* kEngineKind = "transformer";
inline constexpr const char* kTokenizerKind = "wordpiece";

class EncoderEngine : public core::Engine {
 public:
  EncoderEngine(EncoderWeights weights, nlohmann::json source);
  // The registry's loader: metadata "architecture" {"config", "source", "int8"} + the tensors.
  static StatusOr<std::unique_ptr<core::Engine>> load(const core::EngineSource& source);

  std::string kind() const override { return kEngineKind; }
  std::string architecture_name() const override;
  int num_classes() const override { return weights_.num_labels(); }
  int64_t vocab_size() const override { return weights_.config.vocab_size; }
  bool quantized() const override { return weights_.quantized() || weights_.bf16(); }
  std::string precision() const override {
    return weights_.bf16() ? "bf16" : weights_.quantized() ? "int8" : "float32";
  }
  bool uses_intra_op_threads() const override { return true; }  // dense layers, attention heads
  int64_t parameter_count() const override;
  void predict_proba(const nn::Batch& batch, core::Scratch& scratch, float* out) const override;
  StatusOr<std::unique_ptr<core::Engine>> quantize(
      const quant::QuantizeOptions& options) const override;
  nlohmann::json architecture_json() const override;
  core::EngineFile to_file() const override;

  // The weights with every float matrix [out][in] (a copy when the engine holds them packed).
  EncoderWeights weights() const { return unpack_encoder(weights_); }
  // What the engine runs on (float layers packed, see pack_encoder).
  const EncoderWeights& packed_weights() const { return weights_; }

 private:
  EncoderWeights weights_;
  nlohmann::json source_;
};

class WordPieceCoreTokenizer : public core::Tokenizer {
 public:
  // `id_space`: the encoder's vocab_size (a vocabulary file may list fewer tokens than that).
  WordPieceCoreTokenizer(WordPieceTokenizer tokenizer, int64_t id_space)
      : t_(std::move(tokenizer)), id_space_(id_space) {}
  static StatusOr<std::unique_ptr<core::Tokenizer>> load(const core::EngineSource& source);

  std::string kind() const override { return kTokenizerKind; }
  std::string description() const override { return "wordpiece"; }
  void encode(std::string_view text, std::vector<int32_t>* ids) const override;
  void tokenize(std::string_view text, std::vector<std::string>* tokens) const override;
  int32_t token_id(std::string_view token) const override;
  bool is_unknown(int32_t id) const override { return id == t_.unk_id(); }
  int max_len() const override { return static_cast<int>(t_.settings().model_max_length); }
  void wrap(std::vector<int32_t>* ids) const override {
    ids->insert(ids->begin(), t_.cls_id());
    ids->push_back(t_.sep_id());
  }
  int special_tokens() const override { return 2; }
  size_t vocab_size() const override { return static_cast<size_t>(id_space_); }
  nlohmann::json settings_json() const override;
  void write_to(format::ModelFile* file) const override;

  const WordPieceTokenizer& wordpiece() const { return t_; }

 private:
  WordPieceTokenizer t_;
  int64_t id_space_;
};

// Rebuilds the settings that settings_json() wrote, with the vocabulary from the file.
StatusOr<hf::WordPieceSettings> wordpiece_settings_from_json(const nlohmann::json& j,
                                                             std::vector<std::string> vocab,
                                                             const std::string& where);

}  // namespace fenlei::transformer
