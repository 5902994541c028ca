// Preprocessor: raw text -> normalised text -> tokens -> vocabulary ids. The same object is used
// when training (to build the vocabulary and encode examples) and when predicting, so a model
// always sees text prepared exactly as in training. Its settings are stored in the model file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/normalize.h"
#include "fenlei/segmenter.h"
#include "fenlei/status.h"
#include "vocab/vocab.h"

namespace fenlei::core {

enum class TokenizerKind { kWord, kChar, kWordChar };

StatusOr<TokenizerKind> parse_tokenizer_kind(const std::string& name);
const char* tokenizer_kind_name(TokenizerKind kind);

struct PreprocessConfig {
  text::NormalizeOptions normalize;
  TokenizerKind tokenizer = TokenizerKind::kWord;
  bool hmm = true;              // jieba's HMM for unknown words (as jieba.cut's default)
  std::string user_dictionary;  // jieba user-dictionary text; travels inside the model file
  // Word tokenizers: seg::Segmenter::dictionary_id() of the dictionary the model was trained
  // with. Empty (files before it was recorded, or a new config): filled in by
  // Preprocessor::create; otherwise create() refuses a dictionary that segments differently.
  std::string dictionary_id;
  int max_len = 0;              // tokens kept per text (the first max_len); 0 = unlimited
};

nlohmann::json preprocess_config_to_json(const PreprocessConfig& config);
StatusOr<PreprocessConfig> preprocess_config_from_json(const nlohmann::json& json);

// Immutable and thread-safe after create().
class Preprocessor {
 public:
  // `segmenter_options` says where jieba's dictionary lives; the user dictionary comes from
  // config.user_dictionary. The segmenter is only loaded for word tokenizers. FAILED_PRECONDITION
  // when config.dictionary_id is set and the dictionary found differs from it (naming both).
  static StatusOr<std::shared_ptr<const Preprocessor>> create(
      const PreprocessConfig& config, const seg::SegmenterOptions& segmenter_options = {});

  const PreprocessConfig& config() const { return config_; }

  // Appends the tokens of `text` (valid UTF-8) to *tokens (cleared first), without truncation.
  void tokenize(std::string_view text, std::vector<std::string>* tokens) const;

  // Token ids of `text`, truncated to max_len. Reuses *scratch to avoid allocation.
  void encode(std::string_view text, const vocab::Vocabulary& vocabulary,
              std::vector<int32_t>* ids) const;

 private:
  Preprocessor() = default;
  // Calls emit(token) for every token; the views are valid only during the call.
  template <typename Emit>
  void for_each_token(std::string_view text, Emit&& emit) const;

  PreprocessConfig config_;
  std::unique_ptr<text::Normalizer> normalizer_;  // null when no normalisation is enabled
  std::shared_ptr<const seg::Segmenter> segmenter_;
};

}  // namespace fenlei::core
