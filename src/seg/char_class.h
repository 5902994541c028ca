// jieba's character classes (JIEBA_SPEC.md 2.1): which code points form Han blocks, which are
// whitespace separators, and which are ASCII alphanumerics. Shared by every cutting mode.
#pragma once

namespace fenlei::seg {

// jieba's HMM only knows U+4E00..U+9FD5 ("re_han" inside finalseg).
constexpr char32_t kCjkFirst = 0x4E00;
constexpr char32_t kCjkLast = 0x9FD5;
constexpr unsigned kCjkSpan = kCjkLast - kCjkFirst + 1;
// Every Han-block character is below this bound, so the trie's root can be a direct table.
constexpr unsigned kRootSpan = 0xA000;

inline bool is_cjk(char32_t c) { return c >= kCjkFirst && c <= kCjkLast; }

inline bool is_ascii_alnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// re_han_default: [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]
inline bool is_han_class(char32_t c) {
  if (c < 0x80) {
    return is_ascii_alnum(c) || c == '+' || c == '#' || c == '&' || c == '.' || c == '_' ||
           c == '%' || c == '-';
  }
  return is_cjk(c);
}

// Python 3.11 str.isspace(): exactly 29 code points.
inline bool is_py_space(char32_t c) {
  if (c <= 0x20) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace fenlei::seg
