// The Unicode properties BERT's tokenizer needs, generated from Python's unicodedata by
// gen_unicode_tables.py (unicode_tables_data.cc), plus lookups and NFD/NFC built on them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fenlei::transformer::unicode {

enum Flag : uint8_t {
  kWhitespace = 1,  // BertTokenizer _is_whitespace: space, \t, \n, \r, category Zs
  kControl = 2,     // _is_control: category C*, except \t \n \r
  kPunct = 4,       // _is_punctuation: ASCII symbol ranges or category P*
  kMn = 8,          // category Mn (dropped by accent stripping)
  kPySpace = 16,    // Python str.isspace (what str.split() splits on)
};

struct FlagRun { char32_t start; uint8_t flags; };
struct LowerEntry { char32_t cp; char32_t lower[3]; };
struct DecompEntry { char32_t cp; char32_t nfd[4]; };
struct CccRun { char32_t first, last; uint8_t ccc; };
struct CompEntry { char32_t first, second, composite; };

extern const FlagRun kFlagRuns[];
extern const size_t kFlagRunCount;
extern const LowerEntry kLower[];
extern const size_t kLowerCount;
extern const DecompEntry kDecomp[];
extern const size_t kDecompCount;
extern const CccRun kCcc[];
extern const size_t kCccCount;
extern const CompEntry kComp[];
extern const size_t kCompCount;

// flags and combining_class read a two-level table of the Basic Multilingual Plane built from
// the generated runs on first use (a text's characters cost a load each, not a binary search of
// 2,135 runs); code points past U+FFFF search the runs (flags_ref, combining_class_ref), which
// the table equals for every code point.
uint8_t flags(char32_t cp);
uint8_t flags_ref(char32_t cp);
inline bool has(char32_t cp, Flag f) { return (flags(cp) & f) != 0; }

// Python's str.lower() of a string of code points (full mappings, e.g. U+0130 -> i + U+0307).
std::u32string to_lower(const std::u32string& s);
// unicodedata.normalize("NFD"/"NFC", s). A string whose characters neither decompose nor
// combine (no decomposition, combining class 0, never the second of a composition: all of
// CJK, ASCII, most text) is returned as it is after one table load per character; nfd_ref and
// nfc_ref always run the full algorithm, and equal these.
std::u32string nfd(const std::u32string& s);
std::u32string nfc(const std::u32string& s);
std::u32string nfd_ref(const std::u32string& s);
std::u32string nfc_ref(const std::u32string& s);
uint8_t combining_class(char32_t cp);
uint8_t combining_class_ref(char32_t cp);

}  // namespace fenlei::transformer::unicode
