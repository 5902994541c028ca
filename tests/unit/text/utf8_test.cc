#include "text/utf8.h"

#include <gtest/gtest.h>

namespace fenlei::utf8 {
namespace {

TEST(Utf8, DecodesEveryLength) {
  const std::string s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // a é 中 😀
  char32_t cp = 0;
  EXPECT_EQ(decode_one(s, 0, &cp), 1u);
  EXPECT_EQ(cp, U'a');
  EXPECT_EQ(decode_one(s, 1, &cp), 2u);
  EXPECT_EQ(cp, U'\u00E9');
  EXPECT_EQ(decode_one(s, 3, &cp), 3u);
  EXPECT_EQ(cp, U'\u4E2D');
  EXPECT_EQ(decode_one(s, 6, &cp), 4u);
  EXPECT_EQ(cp, U'\U0001F600');
  EXPECT_EQ(length(s), 4u);
  EXPECT_TRUE(is_valid(s));
}

TEST(Utf8, RejectsOverlongsSurrogatesAndOutOfRange) {
  EXPECT_EQ(find_invalid("ab\xC0\xAF"), 2u);           // overlong '/'
  EXPECT_EQ(find_invalid("\xE0\x80\xAF"), 0u);         // overlong 3-byte
  EXPECT_EQ(find_invalid("x\xED\xA0\x80"), 1u);        // surrogate D800
  EXPECT_EQ(find_invalid("\xF4\x90\x80\x80"), 0u);     // U+110000
  EXPECT_EQ(find_invalid("\xE4\xB8"), 0u);             // truncated
  EXPECT_EQ(find_invalid("\x80"), 0u);                 // lone continuation
  EXPECT_EQ(find_invalid(std::string("a\0b", 3)), std::string_view::npos);  // NUL is valid
}

TEST(Utf8, ValidateNamesWhereAndOffset) {
  Status s = validate("ok\xFF", "data.tsv:3");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("data.tsv:3"), std::string::npos);
  EXPECT_NE(s.message().find("byte 2"), std::string::npos);
  EXPECT_NE(s.message().find("0xFF"), std::string::npos);
  EXPECT_TRUE(validate("中文").ok());
}

TEST(Utf8, ReplacesMaximalSubparts) {
  // Python: b"a\xe4\xb8b\xff".decode("utf-8", "replace") == "a\ufffdb\ufffd"
  EXPECT_EQ(replace_invalid("a\xE4\xB8" "b\xFF"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  // Two lone continuation bytes are two replacements.
  EXPECT_EQ(replace_invalid("\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(replace_invalid("中文"), "中文");
}

TEST(Utf8, RoundTripsThroughU32) {
  const std::string s = "混合 text 😀 ١٢٣";
  EXPECT_EQ(from_u32(to_u32(s)), s);
}

}  // namespace
}  // namespace fenlei::utf8
