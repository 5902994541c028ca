// Which kind of writing a body of text is in, as far as tokenisation cares: scripts written
// without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan) versus scripts
// that separate words with spaces (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Hangul,
// ...). Training uses it to pick a tokenizer that suits the data (characters for the first,
// words for the second).
#pragma once

#include <string>
#include <vector>

namespace fenlei::text {

struct ScriptCounts {
  size_t unspaced = 0;  // letters of scripts written without spaces between words
  size_t spaced = 0;    // letters of scripts written with spaces between words
  // The unspaced share of all letters (0 when there are none).
  double unspaced_share() const {
    const size_t all = unspaced + spaced;
    return all == 0 ? 0.0 : static_cast<double>(unspaced) / static_cast<double>(all);
  }
};

// Counts the letters of `texts` (valid UTF-8; invalid bytes are skipped). Digits, punctuation,
// symbols and spaces count for neither side.
ScriptCounts count_scripts(const std::vector<std::string>& texts);

}  // namespace fenlei::text
