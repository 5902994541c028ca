// WordPiece tokenisation identical to transformers' BertTokenizer: special tokens kept whole,
// text cleaning (control characters dropped, whitespace unified), CJK characters split, NFC,
// lower-casing and accent stripping (NFD, Mn dropped) as configured, punctuation split, greedy
// longest-match word pieces with the continuation prefix, [UNK] for words that cannot be pieced
// or are longer than max_input_chars_per_word, then [CLS] ... [SEP] truncated to the maximum
// length. Immutable after creation, so one instance serves all threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"
#include "hf/tokenizer_files.h"

namespace fenlei::transformer {

struct Encoding {
  std::vector<std::string> tokens;  // with [CLS] / [SEP]
  std::vector<int32_t> ids;
};

class WordPieceTokenizer {
 public:
  static StatusOr<WordPieceTokenizer> create(hf::WordPieceSettings settings);

  // Word pieces of `text` (invalid UTF-8 is replaced by U+FFFD first), without special tokens.
  std::vector<std::string> tokenize(std::string_view text) const;

  // [CLS] pieces [SEP], at most max_length tokens (<= 0: the settings' model_max_length).
  Encoding encode(std::string_view text, int64_t max_length = 0) const;
  // encode(text, max_length).ids, without the token strings; stops after the word that reaches
  // max_length - 2 pieces (a long text's tail is not tokenised to be cut off).
  void encode_ids(std::string_view text, std::vector<int32_t>* ids, int64_t max_length = 0) const;

  // The basic tokenizer's words of `text` (cleaned, CJK characters split, lower-cased and
  // accent-stripped as configured, punctuation split), before word pieces and without
  // special-token matching: what a vocabulary is built from (train/wordpiece_vocab.h).
  std::vector<std::string> basic_words(std::string_view text) const;

  const hf::WordPieceSettings& settings() const { return settings_; }
  int32_t id_of(const std::string& token) const;  // -1 when absent
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }

 private:
  struct Pieces;  // where pieces go (tokens and/or ids), up to a limit; wordpiece.cc

  // Calls f(word) (const std::u32string&) for each word of the basic tokenizer, in order,
  // until f returns false; returns false then.
  template <typename F>
  bool each_word(const std::u32string& text, F&& f) const;
  void basic_tokenize(const std::u32string& text, std::vector<std::u32string>* out) const;
  void word_pieces(const std::u32string& word, Pieces* out) const;
  // The pieces of text (special tokens kept whole) into out, until its limit is reached.
  void pieces(std::string_view text, Pieces* out) const;

  // The vocabulary's ids by token: open addressing (FNV-1a, linear probing, at most half full)
  // over the tokens' bytes, the first id of a repeated token. Looked up with the piece's bytes
  // as they are (a std::unordered_map<std::string> wanted a std::string and hashed it with
  // murmur: a long text's ~126 lookups were 4% of its int8 time).
  class VocabIndex {
   public:
    void build(const std::vector<std::string>& vocab);
    int32_t find(std::string_view token) const;  // -1 when absent

   private:
    std::string bytes_;               // every token, by id
    std::vector<uint32_t> offsets_;   // token i is bytes_[offsets_[i], offsets_[i + 1])
    std::vector<int32_t> slots_;      // ids, -1 empty; a power of two in size
  };

  hf::WordPieceSettings settings_;
  VocabIndex ids_;
  std::vector<std::u32string> specials_;  // split out of the text before anything else
  int32_t cls_id_ = 0, sep_id_ = 0, pad_id_ = 0, unk_id_ = 0;
};

}  // namespace fenlei::transformer
