#include "transformer/unicode_tables.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fenlei::transformer::unicode
