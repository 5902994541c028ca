#include "transformer/wordpiece.h"

#include <algorithm>
#include <limits>

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

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h ^ (h >> 29);
}

}  // namespace

void WordPieceTokenizer::VocabIndex::build(const std::vector<std::string>& vocab) {
  bytes_.clear();
  offsets_.assign(1, 0);
  for (const std::string& t : vocab) {
    bytes_ += t;
    offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
  }
  size_t size = 16;
  while (size < 2 * vocab.size()) size *= 2;
  slots_.assign(size, -1);
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (find(vocab[i]) >= 0) continue;  // a repeated token keeps its first id
    size_t slot = fnv1a(vocab[i]) & (size - 1);
    while (slots_[slot] >= 0) slot = (slot + 1) & (size - 1);
    slots_[slot] = static_cast<int32_t>(i);
  }
}

int32_t WordPieceTokenizer::VocabIndex::find(std::string_view token) const {
  if (slots_.empty()) return -1;
  const size_t mask = slots_.size() - 1;
  for (size_t slot = fnv1a(token) & mask;; slot = (slot + 1) & mask) {
    const int32_t id = slots_[slot];
    if (id < 0) return -1;
    const std::string_view t(bytes_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]);
    if (t == token) return id;
  }
}

StatusOr<WordPieceTokenizer> WordPieceTokenizer::create(hf::WordPieceSettings settings) {
  WordPieceTokenizer t;
  t.ids_.build(settings.vocab);
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
  return ids_.find(token);
}

// Pieces as word_pieces finds them: their strings (tokens) and/or their ids, counted, until
// `limit` pieces (a word's pieces all go in, so count may pass it by the last word's).
struct WordPieceTokenizer::Pieces {
  std::vector<std::string>* tokens = nullptr;
  std::vector<int32_t>* ids = nullptr;
  size_t limit = std::numeric_limits<size_t>::max();
  size_t count = 0;
  // word_pieces' buffers, reused from word to word: the word's UTF-8, each character's end
  // offset in it, the piece looked up.
  std::string bytes, key;
  std::vector<size_t> ends;

  bool full() const { return count >= limit; }
  void add(const std::string& token, int32_t id) {
    if (tokens) tokens->push_back(token);
    if (ids) ids->push_back(id);
    ++count;
  }
  void drop_to(size_t n) {
    if (tokens) tokens->resize(tokens->size() - (count - n));
    if (ids) ids->resize(ids->size() - (count - n));
    count = n;
  }
};

template <typename F>
bool WordPieceTokenizer::each_word(const std::u32string& text, F&& f) const {
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
  const bool strip = settings_.strip_accents.value_or(settings_.lowercase);
  std::u32string word, cur, one;
  const size_t n = cleaned.size();
  size_t i = 0;
  while (i < n) {
    // Python's str.split(): runs of str.isspace() characters separate words.
    while (i < n && unicode::has(cleaned[i], unicode::kPySpace)) ++i;
    if (i == n) break;
    size_t j = i;
    while (j < n && !unicode::has(cleaned[j], unicode::kPySpace)) ++j;
    word.assign(cleaned, i, j - i);
    i = j;
    if (settings_.lowercase) word = unicode::to_lower(word);
    if (strip) {
      std::u32string kept;
      for (char32_t c : unicode::nfd(word))
        if (!unicode::has(c, unicode::kMn)) kept.push_back(c);
      word = std::move(kept);
    }
    cur.clear();
    for (char32_t c : word) {
      if (unicode::has(c, unicode::kPunct)) {
        if (!cur.empty() && !f(cur)) return false;
        cur.clear();
        one.assign(1, c);
        if (!f(one)) return false;
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty() && !f(cur)) return false;
  }
  return true;
}

void WordPieceTokenizer::basic_tokenize(const std::u32string& text,
                                        std::vector<std::u32string>* out) const {
  each_word(text, [&](const std::u32string& w) {
    out->push_back(w);
    return true;
  });
}

void WordPieceTokenizer::word_pieces(const std::u32string& word, Pieces* out) const {
  if (word.size() > static_cast<size_t>(settings_.max_input_chars_per_word)) {
    out->add(settings_.unk_token, unk_id_);
    return;
  }
  std::string& bytes = out->bytes;
  std::string& key = out->key;
  std::vector<size_t>& ends = out->ends;
  bytes.clear();
  ends.clear();
  for (char32_t c : word) {
    utf8::append(bytes, c);
    ends.push_back(bytes.size());
  }
  const size_t first = out->count;
  size_t start = 0;
  while (start < word.size()) {
    const size_t from = start ? ends[start - 1] : 0;
    size_t end = word.size();
    int32_t id = -1;
    while (start < end) {
      key.clear();
      if (start > 0) key += settings_.continuing_prefix;
      key.append(bytes, from, ends[end - 1] - from);
      id = ids_.find(key);
      if (id >= 0) break;
      --end;
    }
    if (id < 0) {
      out->drop_to(first);
      out->add(settings_.unk_token, unk_id_);
      return;
    }
    out->add(key, id);
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

void WordPieceTokenizer::pieces(std::string_view text, Pieces* out) const {
  const std::u32string all = utf8::to_u32(text);
  // Special tokens are found first (longest match, left to right) and kept whole, as
  // transformers' added-token trie does; the text between them is tokenised on its own.
  size_t segment_start = 0, i = 0;
  auto flush = [&](size_t end) {
    if (out->full()) return false;
    return each_word(all.substr(segment_start, end - segment_start), [&](const std::u32string& w) {
      word_pieces(w, out);
      return !out->full();
    });
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
    if (!flush(i) || out->full()) return;
    const std::string special = utf8::from_u32(*match);
    const int32_t id = id_of(special);
    out->add(special, id >= 0 ? id : unk_id_);
    if (out->full()) return;
    i += best;
    segment_start = i;
  }
  flush(all.size());
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> out;
  Pieces p;
  p.tokens = &out;
  pieces(text, &p);
  return out;
}

Encoding WordPieceTokenizer::encode(std::string_view text, int64_t max_length) const {
  if (max_length <= 0) max_length = settings_.model_max_length;
  if (max_length < 2) max_length = 2;
  Encoding e;
  e.tokens.push_back(settings_.cls_token);
  e.ids.push_back(cls_id_);
  Pieces p;
  p.tokens = &e.tokens;
  p.ids = &e.ids;
  p.limit = static_cast<size_t>(max_length - 2);
  pieces(text, &p);
  if (p.count > p.limit) p.drop_to(p.limit);
  e.tokens.push_back(settings_.sep_token);
  e.ids.push_back(sep_id_);
  return e;
}

void WordPieceTokenizer::encode_ids(std::string_view text, std::vector<int32_t>* ids,
                                    int64_t max_length) const {
  if (max_length <= 0) max_length = settings_.model_max_length;
  if (max_length < 2) max_length = 2;
  ids->clear();
  ids->push_back(cls_id_);
  Pieces p;
  p.ids = ids;
  p.limit = static_cast<size_t>(max_length - 2);
  pieces(text, &p);
  if (p.count > p.limit) p.drop_to(p.limit);
  ids->push_back(sep_id_);
}

}  // namespace fenlei::transformer
