#include "text/utf8.h"

#include <cstdio>

namespace fenlei::utf8 {

size_t find_invalid(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Fast path over ASCII, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    const size_t len = decode_one(s, i, &cp);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

Status validate(std::string_view s, std::string_view where) {
  const size_t bad = find_invalid(s);
  if (bad == std::string_view::npos) return Status();
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%02X", static_cast<unsigned char>(s[bad]));
  std::string msg = "invalid UTF-8 at byte " + std::to_string(bad) + " (" + hex +
                    "); re-encode the input as UTF-8 or pass --replace-invalid-utf8";
  if (!where.empty()) msg = std::string(where) + ": " + msg;
  return invalid_argument_error(std::move(msg));
}

// Length of the longest prefix of an ill-formed sequence at s[pos] that could start a valid
// sequence ("maximal subpart"); at least 1.
static size_t maximal_subpart(std::string_view s, size_t pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const size_t left = s.size() - pos;
  const unsigned char b0 = p[0];
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
  else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t k = 1;
  for (size_t j = 0; j < need && k < left; ++j, ++k) {
    const unsigned char b = p[k];
    const unsigned char l = (j == 0) ? lo : 0x80;
    const unsigned char h = (j == 0) ? hi : 0xBF;
    if (b < l || b > h) break;
  }
  return k;
}

// Calls emit(cp, bytes, invalid) for each code point of s; an invalid sequence (its maximal
// subpart) comes as U+FFFD with invalid = true. The one decoding loop behind replace_invalid and
// to_u32.
template <typename Emit>
static void decode_with_replacement(std::string_view s, Emit&& emit) {
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp;
    size_t len = decode_one(s, i, &cp);
    const bool invalid = len == 0;
    if (invalid) {
      cp = kReplacementChar;
      len = maximal_subpart(s, i);
    }
    emit(cp, s.substr(i, len), invalid);
    i += len;
  }
}

std::string replace_invalid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  decode_with_replacement(s, [&](char32_t cp, std::string_view bytes, bool invalid) {
    if (invalid) {
      append(out, cp);
    } else {
      out.append(bytes);
    }
  });
  return out;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::u32string to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  decode_with_replacement(s, [&](char32_t cp, std::string_view, bool) { out.push_back(cp); });
  return out;
}

std::string from_u32(std::u32string_view s) {
  std::string out;
  out.reserve(s.size() * 3);
  for (char32_t cp : s) append(out, cp);
  return out;
}

size_t length(std::string_view s) {
  size_t count = 0;
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp;
    const size_t len = decode_one(s, i, &cp);
    i += len > 0 ? len : 1;
    ++count;
  }
  return count;
}

}  // namespace fenlei::utf8
