#include "transformer/unicode_tables.h"

#include <algorithm>

namespace fenlei::transformer::unicode {
namespace {

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

void decompose(char32_t cp, std::u32string* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out->push_back(kTBase + s % kTCount);
    return;
  }
  const DecompEntry* end = kDecomp + kDecompCount;
  const DecompEntry* it = std::lower_bound(
      kDecomp, end, cp, [](const DecompEntry& e, char32_t c) { return e.cp < c; });
  if (it == end || it->cp != cp) {
    out->push_back(cp);
    return;
  }
  for (char32_t c : it->nfd)
    if (c) out->push_back(c);
}

char32_t compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  const CompEntry* end = kComp + kCompCount;
  const CompEntry* it = std::lower_bound(kComp, end, std::make_pair(a, b),
                                         [](const CompEntry& e, std::pair<char32_t, char32_t> k) {
                                           return std::make_pair(e.first, e.second) < k;
                                         });
  if (it == end || it->first != a || it->second != b) return 0;
  return it->composite;
}

}  // namespace

uint8_t flags(char32_t cp) {
  const FlagRun* end = kFlagRuns + kFlagRunCount;
  const FlagRun* it = std::upper_bound(kFlagRuns, end, cp,
                                       [](char32_t c, const FlagRun& r) { return c < r.start; });
  return it == kFlagRuns ? 0 : (it - 1)->flags;
}

uint8_t combining_class(char32_t cp) {
  const CccRun* end = kCcc + kCccCount;
  const CccRun* it =
      std::upper_bound(kCcc, end, cp, [](char32_t c, const CccRun& r) { return c < r.first; });
  if (it == kCcc) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

std::u32string to_lower(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  const LowerEntry* end = kLower + kLowerCount;
  for (char32_t cp : s) {
    const LowerEntry* it = std::lower_bound(
        kLower, end, cp, [](const LowerEntry& e, char32_t c) { return e.cp < c; });
    if (it == end || it->cp != cp) {
      out.push_back(cp);
      continue;
    }
    for (char32_t c : it->lower)
      if (c) out.push_back(c);
  }
  return out;
}

std::u32string nfd(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t cp : s) decompose(cp, &out);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  size_t i = 0;
  while (i < out.size()) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + i, out.begin() + j, [](char32_t a, char32_t b) {
      return combining_class(a) < combining_class(b);
    });
    i = j;
  }
  return out;
}

std::u32string nfc(const std::u32string& s) {
  const std::u32string d = nfd(s);
  std::u32string out;
  out.reserve(d.size());
  long starter = -1;
  int last_cc = -1;
  for (char32_t ch : d) {
    const int cc = combining_class(ch);
    if (starter >= 0) {
      const bool adjacent = out.size() == static_cast<size_t>(starter) + 1;
      if (adjacent || (last_cc != 0 && last_cc < cc)) {
        const char32_t c = compose(out[starter], ch);
        if (c) {
          out[starter] = c;
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<long>(out.size());
    last_cc = cc;
    out.push_back(ch);
  }
  return out;
}

}  // namespace fenlei::transformer::unicode
