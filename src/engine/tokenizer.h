// Tokenizer: what a model does to a text before its engine sees it — normalise, split into
// tokens, map tokens to ids, truncate. The jieba/char Preprocessor with a vocabulary is one
// implementation (VocabTokenizer, vocab_tokenizer.h); a WordPiece tokenizer for BERT checkpoints
// is another. The model file names its tokenizer kind, and loading picks the implementation from
// the registry (engine_registry.h), so callers never know which one they hold.
//
//   std::vector<int32_t> ids;
//   tokenizer.encode("房间很干净", &ids);   // ids for Engine::predict_proba, truncated
//   batch.add(ids);
//
// Immutable and thread-safe after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fenlei::format {
struct ModelFile;
}

namespace fenlei::core {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // The registry key stored in the model file ("preprocessor", "wordpiece", ...).
  virtual std::string kind() const = 0;
  // "word", "char", "word+char", "wordpiece": what `fenlei info` shows as the tokenizer.
  virtual std::string description() const = 0;

  // The ids the engine reads for `text` (valid UTF-8): its content tokens, at most
  // max_len() - special_tokens() of them, passed through wrap() (which adds [CLS] ... [SEP] for
  // a BERT tokenizer, nothing for fenlei's own). Reuses *ids (cleared first).
  virtual void encode(std::string_view text, std::vector<int32_t>* ids) const = 0;

  // Adds the special tokens the model reads around content ids; encode(text) ==
  // wrap(token_id of each of the first max_len() - special_tokens() tokens). explain builds its
  // copies with one token left out from content ids and wraps each, so they read as the model
  // reads a text.
  virtual void wrap(std::vector<int32_t>* ids) const { (void)ids; }
  // How many ids wrap() adds.
  virtual int special_tokens() const { return 0; }

  // The tokens of `text` as people should see them (explain), not truncated; token_id() maps
  // each to the id encode() gives it (encode(text) == the first max_len() of those ids).
  virtual void tokenize(std::string_view text, std::vector<std::string>* tokens) const = 0;
  virtual int32_t token_id(std::string_view token) const = 0;
  // True if `id` stands for a token outside the vocabulary.
  virtual bool is_unknown(int32_t id) const = 0;

  // Tokens kept per text (0 = unlimited).
  virtual int max_len() const = 0;
  // Size of the id space (every id encode() returns is below it).
  virtual size_t vocab_size() const = 0;

  // The settings recorded under metadata "preprocessing", and what the file stores besides
  // (vocabulary, user dictionary); loading reads them back through the registry.
  virtual nlohmann::json settings_json() const = 0;
  virtual void write_to(format::ModelFile* file) const = 0;
};

}  // namespace fenlei::core
