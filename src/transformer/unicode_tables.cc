#include "transformer/unicode_tables.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace fenlei::transformer::unicode {
namespace {

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

// Properties the table holds besides the public flags (bits 0-4).
enum Prop : uint16_t {
  kFlagBits = 0xFF,
  kDecomposes = 1 << 8,       // has a canonical decomposition (Hangul syllables included)
  kNonStarter = 1 << 9,       // combining class != 0
  kComposesSecond = 1 << 10,  // the second character of some canonical composition
  kLowerMapped = 1 << 11,     // str.lower() changes it
  kChanges = kDecomposes | kNonStarter | kComposesSecond,  // what NFC may act on
};

constexpr char32_t kBmp = 0x10000;
constexpr int kBlockBits = 8, kBlock = 1 << kBlockBits;

const DecompEntry* find_decomp(char32_t cp) {
  const DecompEntry* end = kDecomp + kDecompCount;
  const DecompEntry* it = std::lower_bound(
      kDecomp, end, cp, [](const DecompEntry& e, char32_t c) { return e.cp < c; });
  return it == end || it->cp != cp ? nullptr : it;
}

const LowerEntry* find_lower(char32_t cp) {
  const LowerEntry* end = kLower + kLowerCount;
  const LowerEntry* it = std::lower_bound(
      kLower, end, cp, [](const LowerEntry& e, char32_t c) { return e.cp < c; });
  return it == end || it->cp != cp ? nullptr : it;
}

bool is_hangul_syllable(char32_t cp) { return cp >= kSBase && cp < kSBase + kSCount; }
bool is_hangul_second(char32_t cp) {
  return (cp >= kVBase && cp < kVBase + kVCount) || (cp > kTBase && cp < kTBase + kTCount);
}

// Every property of the BMP in blocks of 256 code points, identical blocks stored once (CJK's
// 80-odd blocks are one), plus the composition seconds past the BMP. Built once, read-only.
class PropTable {
 public:
  PropTable() {
    std::vector<uint16_t> flat(kBmp, 0);
    for (size_t r = 0; r < kFlagRunCount && kFlagRuns[r].start < kBmp; ++r) {
      const char32_t end = r + 1 < kFlagRunCount ? std::min<char32_t>(kFlagRuns[r + 1].start, kBmp) : kBmp;
      for (char32_t c = kFlagRuns[r].start; c < end; ++c) flat[c] = kFlagRuns[r].flags;
    }
    for (size_t r = 0; r < kCccCount && kCcc[r].first < kBmp; ++r)
      for (char32_t c = kCcc[r].first; c <= std::min<char32_t>(kCcc[r].last, kBmp - 1); ++c)
        if (kCcc[r].ccc) flat[c] |= kNonStarter;
    for (size_t i = 0; i < kDecompCount; ++i)
      if (kDecomp[i].cp < kBmp) flat[kDecomp[i].cp] |= kDecomposes;
    for (char32_t c = kSBase; c < kSBase + kSCount; ++c) flat[c] |= kDecomposes;
    for (size_t i = 0; i < kCompCount; ++i) {
      if (kComp[i].second < kBmp)
        flat[kComp[i].second] |= kComposesSecond;
      else
        astral_seconds_.push_back(kComp[i].second);
    }
    for (char32_t c = 0; c < kBmp; ++c)
      if (is_hangul_second(c)) flat[c] |= kComposesSecond;
    for (size_t i = 0; i < kLowerCount; ++i)
      if (kLower[i].cp < kBmp) flat[kLower[i].cp] |= kLowerMapped;
    std::sort(astral_seconds_.begin(), astral_seconds_.end());
    for (char32_t b = 0; b < kBmp / kBlock; ++b) {
      const uint16_t* block = flat.data() + b * kBlock;
      size_t leaf = 0;
      const size_t leaves = leaves_.size() / kBlock;
      while (leaf < leaves &&
             std::memcmp(leaves_.data() + leaf * kBlock, block, kBlock * sizeof(uint16_t)) != 0)
        ++leaf;
      if (leaf == leaves) leaves_.insert(leaves_.end(), block, block + kBlock);
      index_[b] = static_cast<uint16_t>(leaf);
    }
  }

  uint16_t get(char32_t cp) const {
    if (cp < kBmp) return leaves_[size_t{index_[cp >> kBlockBits]} * kBlock + (cp & (kBlock - 1))];
    uint16_t p = flags_ref(cp);
    if (combining_class_ref(cp)) p |= kNonStarter;
    if (find_decomp(cp)) p |= kDecomposes;
    if (std::binary_search(astral_seconds_.begin(), astral_seconds_.end(), cp)) p |= kComposesSecond;
    if (find_lower(cp)) p |= kLowerMapped;
    return p;
  }

 private:
  uint16_t index_[kBmp / kBlock] = {};
  std::vector<uint16_t> leaves_;
  std::vector<char32_t> astral_seconds_;
};

const PropTable& props() {
  static const PropTable table;
  return table;
}

void decompose(char32_t cp, std::u32string* out) {
  if (is_hangul_syllable(cp)) {
    const char32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out->push_back(kTBase + s % kTCount);
    return;
  }
  const DecompEntry* it = find_decomp(cp);
  if (!it) {
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

// True when no character of s has any of `mask`'s properties.
bool none_has(const std::u32string& s, uint16_t mask) {
  const PropTable& t = props();
  for (char32_t cp : s)
    if (t.get(cp) & mask) return false;
  return true;
}

template <typename Ccc>
std::u32string nfd_with(const std::u32string& s, Ccc&& ccc) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t cp : s) decompose(cp, &out);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  size_t i = 0;
  while (i < out.size()) {
    if (ccc(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && ccc(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + i, out.begin() + j,
                     [&](char32_t a, char32_t b) { return ccc(a) < ccc(b); });
    i = j;
  }
  return out;
}

template <typename Ccc>
std::u32string compose_all(const std::u32string& d, Ccc&& ccc) {
  std::u32string out;
  out.reserve(d.size());
  long starter = -1;
  int last_cc = -1;
  for (char32_t ch : d) {
    const int cc = ccc(ch);
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

}  // namespace

uint8_t flags_ref(char32_t cp) {
  const FlagRun* end = kFlagRuns + kFlagRunCount;
  const FlagRun* it = std::upper_bound(kFlagRuns, end, cp,
                                       [](char32_t c, const FlagRun& r) { return c < r.start; });
  return it == kFlagRuns ? 0 : (it - 1)->flags;
}

uint8_t flags(char32_t cp) { return static_cast<uint8_t>(props().get(cp) & kFlagBits); }

uint8_t combining_class_ref(char32_t cp) {
  const CccRun* end = kCcc + kCccCount;
  const CccRun* it =
      std::upper_bound(kCcc, end, cp, [](char32_t c, const CccRun& r) { return c < r.first; });
  if (it == kCcc) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

uint8_t combining_class(char32_t cp) {
  return props().get(cp) & kNonStarter ? combining_class_ref(cp) : 0;
}

std::u32string to_lower(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  const PropTable& t = props();
  for (char32_t cp : s) {
    const LowerEntry* it = t.get(cp) & kLowerMapped ? find_lower(cp) : nullptr;
    if (!it) {
      out.push_back(cp);
      continue;
    }
    for (char32_t c : it->lower)
      if (c) out.push_back(c);
  }
  return out;
}

std::u32string nfd_ref(const std::u32string& s) { return nfd_with(s, combining_class_ref); }

std::u32string nfd(const std::u32string& s) {
  // Nothing decomposes and nothing is reordered (only non-starters are).
  if (none_has(s, kDecomposes | kNonStarter)) return s;
  return nfd_with(s, combining_class);
}

std::u32string nfc_ref(const std::u32string& s) {
  return compose_all(nfd_ref(s), combining_class_ref);
}

std::u32string nfc(const std::u32string& s) {
  // NFD leaves s as it is (above), and composition needs a second character of some pair.
  if (none_has(s, kChanges)) return s;
  return compose_all(nfd(s), combining_class);
}

}  // namespace fenlei::transformer::unicode
