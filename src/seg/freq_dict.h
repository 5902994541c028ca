// jieba's mutable prefix dictionary (FREQ, total, force-split words) and the text parsers that
// fill it: the main dict.txt and user dictionaries (JIEBA_SPEC.md 0.1 and 8.1). Only used while
// building; the segmenter cuts with the flat trie built from it (seg_model.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fenlei/status.h"

namespace fenlei::seg {

struct FreqDict {
  // FREQ: word -> frequency; every prefix of a key is a key (0 = prefix only).
  std::unordered_map<std::u32string, int64_t> freq;
  // Words added with frequency 0: the HMM never emits them whole (jieba's Force_Split_Words).
  std::unordered_set<std::u32string> force_split;
  int64_t total = 0;

  // jieba's add_word(word, freq) with an explicit frequency (also what dict.txt lines do, except
  // that dict.txt never marks force-split words).
  void add_word(const std::u32string& word, int64_t frequency, bool mark_force_split = true);
  // FREQ.get(word): the frequency, or -1 when absent.
  int64_t get(std::u32string_view word) const;
};

// Parses dict.txt content ("word freq [tag]" per line) into *dict. `name` is used in errors
// ("dict.txt:12: ..."). INVALID_ARGUMENT on a malformed line or invalid UTF-8.
Status load_main_dict(std::string_view content, const std::string& name, FreqDict* dict);

// One parsed user-dictionary line: jieba's `^(.+?)( [0-9]+)?( [a-z]+)?$`.
struct UserDictEntry {
  std::string word;
  bool has_freq = false;
  int64_t freq = 0;
  std::string tag;
};

// Splits one user-dictionary line (already stripped, non-empty). INVALID_ARGUMENT if the
// frequency does not fit in 63 bits.
StatusOr<UserDictEntry> parse_user_dict_line(std::string_view line);

// Applies a user dictionary (jieba's load_userdict) to *dict, line by line in order; a line
// without a frequency gets suggest_freq() as computed with the dictionary so far.
Status load_user_dict(std::string_view content, const std::string& name, FreqDict* dict);

// jieba's suggest_freq(word, tune=False) for a whole word.
int64_t suggest_freq(const FreqDict& dict, const std::u32string& word);

// A deliberately simple reference implementation of jieba.cut(text, HMM=False) over code points
// and the hash-map dictionary; used by suggest_freq and to cross-check the fast path in tests.
std::vector<std::u32string> reference_cut_no_hmm(const FreqDict& dict, std::u32string_view text);

}  // namespace fenlei::seg
