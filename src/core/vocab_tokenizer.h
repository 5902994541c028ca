// VocabTokenizer: fenlei's own Tokenizer — the Preprocessor (normalisation, jieba words and/or
// characters, max_len) followed by a vocabulary lookup. Registered as tokenizer kind
// "preprocessor". Training builds one from its data; fine-tuning and pruning reuse a model's.
#pragma once

#include <memory>
#include <string>

#include "engine/engine_registry.h"
#include "core/preprocessor.h"
#include "engine/tokenizer.h"
#include "fenlei/segmenter.h"
#include "vocab/vocab.h"

namespace fenlei::core {


class VocabTokenizer final : public Tokenizer {
 public:
  VocabTokenizer(std::shared_ptr<const Preprocessor> preprocessor, vocab::Vocabulary vocabulary);
  // Loads the segmenter (word tokenizers) from `segmenter_options` plus the config's user
  // dictionary.
  static StatusOr<std::unique_ptr<VocabTokenizer>> create(
      const PreprocessConfig& config, vocab::Vocabulary vocabulary,
      const seg::SegmenterOptions& segmenter_options = {});
  // From a model file: metadata "preprocessing", the vocabulary and the user dictionary.
  static StatusOr<std::unique_ptr<Tokenizer>> load(const EngineSource& source);

  std::string kind() const override { return kVocabTokenizerKind; }
  std::string description() const override;
  void encode(std::string_view text, std::vector<int32_t>* ids) const override;
  void tokenize(std::string_view text, std::vector<std::string>* tokens) const override;
  int32_t token_id(std::string_view token) const override { return vocabulary_.id(token); }
  bool is_unknown(int32_t id) const override { return id == vocab::Vocabulary::kUnkId; }
  int max_len() const override { return preprocessor_->config().max_len; }
  size_t vocab_size() const override { return vocabulary_.size(); }
  nlohmann::json settings_json() const override;
  void write_to(format::ModelFile* file) const override;

  const PreprocessConfig& config() const { return preprocessor_->config(); }
  const Preprocessor& preprocessor() const { return *preprocessor_; }
  // The same preprocessor, to share with a tokenizer of a grown vocabulary (fine-tuning).
  std::shared_ptr<const Preprocessor> shared_preprocessor() const { return preprocessor_; }
  const vocab::Vocabulary& vocabulary() const { return vocabulary_; }

 private:
  std::shared_ptr<const Preprocessor> preprocessor_;
  vocab::Vocabulary vocabulary_;
};

// The model's tokenizer as fenlei's trainer can continue from it (fine-tuning, pruning,
// checkpoints), or nullptr for a tokenizer the trainer cannot extend (e.g. WordPiece).
const VocabTokenizer* trainable_tokenizer(const Tokenizer& tokenizer);

}  // namespace fenlei::core
