#include "text/script.h"

#include "text/utf8.h"

namespace fenlei::text {
namespace {

bool in(char32_t cp, char32_t lo, char32_t hi) { return cp >= lo && cp <= hi; }

bool is_unspaced_letter(char32_t cp) {
  return in(cp, 0x4E00, 0x9FFF) || in(cp, 0x3400, 0x4DBF) || in(cp, 0x20000, 0x3134F) ||  // Han
         in(cp, 0xF900, 0xFAFF) ||  // Han compatibility ideographs
         in(cp, 0x3040, 0x30FF) || in(cp, 0x31F0, 0x31FF) || in(cp, 0xFF66, 0xFF9F) ||    // kana
         in(cp, 0x0E00, 0x0EFF) ||   // Thai, Lao
         in(cp, 0x0F00, 0x0FFF) ||   // Tibetan
         in(cp, 0x1000, 0x109F) ||   // Myanmar
         in(cp, 0x1780, 0x17FF);     // Khmer
}

bool is_spaced_letter(char32_t cp) {
  return in(cp, 'a', 'z') || in(cp, 'A', 'Z') ||
         (in(cp, 0x00C0, 0x024F) && cp != 0xD7 && cp != 0xF7) ||  // Latin-1 and Extended
         in(cp, 0x0370, 0x052F) ||  // Greek, Cyrillic
         in(cp, 0x0590, 0x06FF) ||  // Hebrew, Arabic
         in(cp, 0x0900, 0x0DFF) ||  // Indic scripts
         in(cp, 0x1E00, 0x1FFF) ||  // Latin Extended Additional, Greek Extended
         in(cp, 0xAC00, 0xD7A3) || in(cp, 0x1100, 0x11FF) ||  // Hangul
         in(cp, 0xFF21, 0xFF3A) || in(cp, 0xFF41, 0xFF5A);    // fullwidth Latin
}

}  // namespace

ScriptCounts count_scripts(const std::vector<std::string>& texts) {
  ScriptCounts c;
  for (const std::string& t : texts) {
    size_t i = 0;
    while (i < t.size()) {
      char32_t cp = 0;
      const size_t len = utf8::decode_one(t, i, &cp);
      if (len == 0) {
        ++i;
        continue;
      }
      i += len;
      if (is_unspaced_letter(cp))
        ++c.unspaced;
      else if (is_spaced_letter(cp))
        ++c.spaced;
    }
  }
  return c;
}

}  // namespace fenlei::text
