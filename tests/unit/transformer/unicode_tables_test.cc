#include "transformer/unicode_tables.h"

#include <gtest/gtest.h>

#include <random>

namespace fenlei::transformer::unicode {
namespace {

TEST(UnicodeTables, Flags) {
  EXPECT_TRUE(has(U' ', kWhitespace));
  EXPECT_TRUE(has(0x3000, kWhitespace));  // ideographic space, Zs
  EXPECT_FALSE(has(U'\t', kControl));
  EXPECT_TRUE(has(0x0001, kControl));
  EXPECT_TRUE(has(0x200B, kControl));  // zero width space is Cf
  EXPECT_TRUE(has(U'$', kPunct));      // ASCII symbols count as punctuation for BERT
  EXPECT_TRUE(has(0xFF0C, kPunct));    // fullwidth comma
  EXPECT_FALSE(has(U'a', kPunct));
  EXPECT_TRUE(has(0x0301, kMn));
  EXPECT_TRUE(has(0x2028, kPySpace));
  EXPECT_FALSE(has(0x2028, kWhitespace));
}

TEST(UnicodeTables, LowerNfdNfc) {
  EXPECT_EQ(to_lower(U"ABCÄ"), U"abcä");
  EXPECT_EQ(to_lower(U"\u0130"), U"i\u0307");
  EXPECT_EQ(nfd(U"é"), U"e\u0301");
  EXPECT_EQ(nfd(U"\uAC01"), U"\u1100\u1161\u11A8");  // Hangul syllable
  EXPECT_EQ(nfc(U"e\u0301"), U"é");
  EXPECT_EQ(nfc(U"\u1100\u1161\u11A8"), U"\uAC01");
  // Canonical ordering: dot below (220) before acute (230), then composition.
  EXPECT_EQ(nfd(U"q\u0301\u0323"), U"q\u0323\u0301");
  EXPECT_EQ(nfc(U"a\u0323\u0302"), U"\u1EAD");
  EXPECT_EQ(nfc(U"\u212B"), U"\u00C5");  // singleton decomposition is never recomposed back
}

// The BMP table and the quick checks against the generated runs, for every code point.
TEST(UnicodeTables, TableEqualsRunsEverywhere) {
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    ASSERT_EQ(flags(cp), flags_ref(cp)) << std::hex << cp;
    ASSERT_EQ(combining_class(cp), combining_class_ref(cp)) << std::hex << cp;
  }
}

TEST(UnicodeTables, QuickChecksEqualFullNormalisation) {
  // Starters, non-starters, characters that decompose, seconds of compositions (Hangul V/T,
  // Indic vowel signs, kana voicing marks), singletons, and some past the BMP.
  const std::u32string pool =
      U"aAeE\u00C5\u212B\u0300\u0301\u0323\u0302\u0345\u1100\u1161\u11A8\uAC00\uAC01"
      U"\u0B47\u0B3E\u0B57\u0DD9\u0DCF\u304B\u3099\u309A\u6211\u5317\uFF0C\u1E0A\u0307"
      U"\U00011099\U000110B9\U000110BA\U0001D15E\U0001D165\U0001F600\U00011131\U00011127";
  std::mt19937 rng(7);
  for (int t = 0; t < 20000; ++t) {
    std::u32string s(1 + rng() % 8, U' ');
    for (char32_t& c : s) c = pool[rng() % pool.size()];
    ASSERT_EQ(nfd(s), nfd_ref(s)) << t;
    ASSERT_EQ(nfc(s), nfc_ref(s)) << t;
  }
  EXPECT_EQ(nfc(U"\u304B\u3099"), U"\u304C");              // a combining second
  EXPECT_EQ(nfc(U"\u0B47\u0B3E"), U"\u0B4B");              // a starter second
  EXPECT_EQ(nfc(U"\U00011099\U000110BA"), U"\U0001109A");  // a second past the BMP
  const std::u32string plain = U"\u6211\u7231\u5317\u4EAC, hello!";
  EXPECT_EQ(nfc(plain), plain);
  EXPECT_EQ(nfd(plain), plain);
}

}  // namespace
}  // namespace fenlei::transformer::unicode
