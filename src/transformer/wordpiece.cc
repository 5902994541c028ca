#include "transformer/wordpiece.h"

#include <algorithm>

#include "text/utf8.h"
#include "transformer/unicode_tables.h"

namespace fenlei::transformer {
namespace {

bool is_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Python's str.split(): runs of str.isspace() characters separate words.
void split_py_whitespace(const std::u32string& s, std::vector<std::u32string>* out) {
  std::u32string cur;
  for (char32_t c : s) {
    if (unicode::has(c, unicode::kPySpace)) {
      if (!cur.empty()) out->push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out->push_back(std::move(cur));
}

}  // namespace

StatusOr<WordPieceTokenizer> WordPieceTokenizer::create(hf::WordPieceSettings settings) {
  WordPieceTokenizer t;
  for (size_t i = 0; i < settings.vocab.size(); ++i)
    t.ids_.emplace(settings.vocab[i], static_cast<int32_t>(i));
  auto need = [&](const std::string& token, int32_t* id) -> Status {
    *id = t.id_of(token);
    if (*id < 0) return invalid_argument_error("special token '" + token + "' not in the vocabulary");
    return Status();
  };
  FENLEI_RETURN_IF_ERROR(need(settings.cls_token, &t.cls_id_));
  FENLEI_RETURN_IF_ERROR(need(settings.sep_token, &t.sep_id_));
  FENLEI_RETURN_IF_ERROR(need(settings.pad_token, &t.pad_id_));
  FENLEI_RETURN_IF_ERROR(need(settings.unk_token, &t.unk_id_));
  for (const std::string* s : {&settings.unk_token, &settings.sep_token, &settings.pad_token,
                               &settings.cls_token, &settings.mask_token})
    t.specials_.push_back(utf8::to_u32(*s));
  if (settings.max_input_chars_per_word < 1) settings.max_input_chars_per_word = 1;
  t.settings_ = std::move(settings);
  return t;
}

int32_t WordPieceTokenizer::id_of(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

void WordPieceTokenizer::basic_tokenize(const std::u32string& text,
                                        std::vector<std::u32string>* out) const {
  std::u32string cleaned;
  cleaned.reserve(text.size());
  for (char32_t c : text) {
    if (settings_.clean_text) {
      if (c == 0 || c == 0xFFFD || unicode::has(c, unicode::kControl)) continue;
      if (unicode::has(c, unicode::kWhitespace)) {
        cleaned.push_back(U' ');
        continue;
      }
    }
    if (settings_.tokenize_chinese_chars && is_chinese_char(c)) {
      cleaned.push_back(U' ');
      cleaned.push_back(c);
      cleaned.push_back(U' ');
    } else {
      cleaned.push_back(c);
    }
  }
  if (settings_.nfc) cleaned = unicode::nfc(cleaned);
  std::vector<std::u32string> words;
  split_py_whitespace(cleaned, &words);
  const bool strip = settings_.strip_accents.value_or(settings_.lowercase);
  for (std::u32string& word : words) {
    if (settings_.lowercase) word = unicode::to_lower(word);
    if (strip) {
      std::u32string kept;
      for (char32_t c : unicode::nfd(word))
        if (!unicode::has(c, unicode::kMn)) kept.push_back(c);
      word = std::move(kept);
    }
    std::u32string cur;
    for (char32_t c : word) {
      if (unicode::has(c, unicode::kPunct)) {
        if (!cur.empty()) out->push_back(std::move(cur));
        cur.clear();
        out->push_back(std::u32string(1, c));
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) out->push_back(std::move(cur));
  }
}

void WordPieceTokenizer::word_pieces(const std::u32string& word,
                                     std::vector<std::string>* out) const {
  if (word.size() > static_cast<size_t>(settings_.max_input_chars_per_word)) {
    out->push_back(settings_.unk_token);
    return;
  }
  const size_t first = out->size();
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    bool found = false;
    std::string piece;
    while (start < end) {
      piece = utf8::from_u32(word.substr(start, end - start));
      if (start > 0) piece = settings_.continuing_prefix + piece;
      if (ids_.count(piece)) {
        found = true;
        break;
      }
      --end;
    }
    if (!found) {
      out->resize(first);
      out->push_back(settings_.unk_token);
      return;
    }
    out->push_back(std::move(piece));
    start = end;
  }
}

std::vector<std::string> WordPieceTokenizer::basic_words(std::string_view text) const {
  std::vector<std::u32string> words;
  basic_tokenize(utf8::to_u32(text), &words);
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const auto& w : words) out.push_back(utf8::from_u32(w));
  return out;
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text) const {
  const std::u32string all = utf8::to_u32(text);
  std::vector<std::string> out;
  std::vector<std::u32string> words;
  // Special tokens are found first (longest match, left to right) and kept whole, as
  // transformers' added-token trie does; the text between them is tokenised on its own.
  size_t segment_start = 0, i = 0;
  auto flush = [&](size_t end) {
    words.clear();
    basic_tokenize(all.substr(segment_start, end - segment_start), &words);
    for (const auto& w : words) word_pieces(w, &out);
  };
  while (i < all.size()) {
    size_t best = 0;
    const std::u32string* match = nullptr;
    for (const auto& s : specials_) {
      if (s.size() > best && all.compare(i, s.size(), s) == 0) {
        best = s.size();
        match = &s;
      }
    }
    if (!match) {
      ++i;
      continue;
    }
    flush(i);
    out.push_back(utf8::from_u32(*match));
    i += best;
    segment_start = i;
  }
  flush(all.size());
  return out;
}

Encoding WordPieceTokenizer::encode(std::string_view text, int64_t max_length) const {
  if (max_length <= 0) max_length = settings_.model_max_length;
  if (max_length < 2) max_length = 2;
  Encoding e;
  std::vector<std::string> pieces = tokenize(text);
  if (static_cast<int64_t>(pieces.size()) > max_length - 2) pieces.resize(max_length - 2);
  e.tokens.reserve(pieces.size() + 2);
  e.tokens.push_back(settings_.cls_token);
  for (auto& p : pieces) e.tokens.push_back(std::move(p));
  e.tokens.push_back(settings_.sep_token);
  e.ids.reserve(e.tokens.size());
  for (const auto& t : e.tokens) {
    const int32_t id = id_of(t);
    e.ids.push_back(id >= 0 ? id : unk_id_);
  }
  return e;
}

}  // namespace fenlei::transformer
