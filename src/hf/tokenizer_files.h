// The tokenizer half of a checkpoint: vocab.txt, tokenizer_config.json,
// special_tokens_map.json, or, when vocab.txt is absent, tokenizer.json (the fast tokenizer's
// file; real checkpoints such as all-MiniLM-L6-v2 ship only that). All are read into one
// WordPieceSettings with the defaults BertTokenizer uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"

namespace fenlei::hf {

struct WordPieceSettings {
  std::vector<std::string> vocab;  // id -> token
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: strip when lowercasing (BertTokenizer's default)
  bool tokenize_chinese_chars = true;
  bool clean_text = true;
  bool nfc = true;  // BertTokenizer (slow) composes to NFC first; the fast tokenizer does not
  std::string unk_token = "[UNK]", cls_token = "[CLS]", sep_token = "[SEP]",
              pad_token = "[PAD]", mask_token = "[MASK]";
  std::string continuing_prefix = "##";
  int max_input_chars_per_word = 100;
  int64_t model_max_length = 512;
  std::string source;  // "vocab.txt" or "tokenizer.json"
};

// vocab.txt: one token per line, id = line number. Duplicate tokens or an empty file are errors.
StatusOr<std::vector<std::string>> parse_vocab_txt(std::string_view text, const std::string& where);

// Applies tokenizer_config.json / special_tokens_map.json / tokenizer.json onto `s`.
Status apply_tokenizer_config(std::string_view json, const std::string& where, WordPieceSettings* s);
Status apply_special_tokens_map(std::string_view json, const std::string& where,
                                WordPieceSettings* s);
Status apply_tokenizer_json(std::string_view json, const std::string& where, WordPieceSettings* s);

// Reads whatever of the files above `dir` holds; `max_positions` caps model_max_length.
StatusOr<WordPieceSettings> read_tokenizer_files(const std::string& dir, int64_t max_positions);

}  // namespace fenlei::hf
