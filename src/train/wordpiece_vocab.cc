#include "train/wordpiece_vocab.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

#include "text/utf8.h"
#include "transformer/wordpiece.h"

namespace fenlei::train {
namespace {

const char* const kSpecials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

// Tokens by count, most frequent first; ties by the token itself, so the vocabulary is a function
// of the texts only.
std::vector<std::string> by_count(const std::unordered_map<std::string, int64_t>& counts,
                                  int64_t min_count) {
  std::vector<std::pair<std::string, int64_t>> v;
  for (const auto& [token, n] : counts)
    if (n >= min_count) v.emplace_back(token, n);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> out;
  out.reserve(v.size());
  for (auto& p : v) out.push_back(std::move(p.first));
  return out;
}

}  // namespace

hf::WordPieceSettings pretrain_tokenizer_settings() {
  hf::WordPieceSettings s;
  s.vocab.assign(std::begin(kSpecials), std::end(kSpecials));
  s.source = "vocab.txt";
  return s;
}

StatusOr<std::vector<std::string>> build_wordpiece_vocab(const std::vector<std::string>& texts,
                                                        const VocabBuildOptions& options) {
  if (options.max_size < 6)
    return invalid_argument_error("--vocab-size must be at least 6 (5 special tokens + 1)");
  FENLEI_ASSIGN_OR_RETURN(transformer::WordPieceTokenizer basic,
                          transformer::WordPieceTokenizer::create(pretrain_tokenizer_settings()));
  std::unordered_map<std::string, int64_t> chars, continuations, words;
  for (const std::string& text : texts) {
    for (const std::string& word : basic.basic_words(text)) {
      const std::u32string cps = utf8::to_u32(word);
      if (cps.empty()) continue;
      ++chars[utf8::from_u32(cps.substr(0, 1))];
      if (cps.size() == 1) continue;
      ++words[word];
      for (size_t i = 1; i < cps.size(); ++i) ++continuations["##" + utf8::from_u32(cps.substr(i, 1))];
    }
  }
  if (chars.empty()) return invalid_argument_error("no text to build a vocabulary from");
  std::vector<std::string> vocab(std::begin(kSpecials), std::end(kSpecials));
  std::map<std::string, bool> have;
  for (const auto& s : vocab) have[s] = true;
  auto add = [&](const std::vector<std::string>& tokens) {
    for (const std::string& t : tokens) {
      if (static_cast<int>(vocab.size()) >= options.max_size) return;
      if (have.emplace(t, true).second) vocab.push_back(t);
    }
  };
  add(by_count(chars, 1));
  add(by_count(continuations, 1));
  add(by_count(words, std::max(1, options.min_word_count)));
  return vocab;
}

}  // namespace fenlei::train
