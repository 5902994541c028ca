// Strict UTF-8 decoding and encoding. fenlei treats text as UTF-8 bytes everywhere; this is the
// one place that knows the encoding rules (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"

namespace fenlei::utf8 {

constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point starting at s[pos]. Returns the number of bytes it occupies (1..4) and
// stores it in *cp, or returns 0 if the bytes at pos are not valid UTF-8 (then *cp is untouched).
// Inline: the segmenter's inner loop calls it for every character.
inline size_t decode_one(std::string_view s, size_t pos, char32_t* cp) {
  const size_t n = s.size();
  if (pos >= n) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const size_t left = n - pos;
  const unsigned char b0 = p[0];
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
  if (b0 >= 0xE0 && b0 <= 0xEF) {  // first: the common case for Chinese
    if (left < 3 || !cont(p[1]) || !cont(p[2])) return 0;
    if (b0 == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (b0 == 0xED && p[1] >= 0xA0) return 0;  // UTF-16 surrogate
    *cp = (char32_t(b0 & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || !cont(p[1])) return 0;
    *cp = (char32_t(b0 & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(p[1]) || !cont(p[2]) || !cont(p[3])) return 0;
    if (b0 == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && p[1] >= 0x90) return 0;  // above U+10FFFF
    *cp = (char32_t(b0 & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) |
          (char32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    return 4;
  }
  return 0;
}

// Byte offset of the first invalid sequence, or std::string_view::npos if `s` is valid UTF-8.
size_t find_invalid(std::string_view s);
inline bool is_valid(std::string_view s) { return find_invalid(s) == std::string_view::npos; }

// OK, or INVALID_ARGUMENT "invalid UTF-8 at byte N (0xAB)" with `where` (e.g. "data.tsv:12")
// prefixed when it is not empty.
Status validate(std::string_view s, std::string_view where = {});

// Replaces each maximal invalid subsequence with U+FFFD (the WHATWG/Unicode "substitution of
// maximal subparts" practice, as Python's errors="replace" does).
std::string replace_invalid(std::string_view s);

// Appends the UTF-8 encoding of cp (which must be a valid scalar value) to out.
void append(std::string& out, char32_t cp);

// Decodes a valid UTF-8 string to code points; invalid bytes become U+FFFD.
std::u32string to_u32(std::string_view s);
std::string from_u32(std::u32string_view s);

// Number of code points (invalid bytes count as one each).
size_t length(std::string_view s);

}  // namespace fenlei::utf8
