#include "text/normalize.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "text/utf8.h"
#include "text/normalize_json.h"

namespace fenlei::text {
namespace {

Normalizer make(const NormalizeOptions& o) {
  auto n = Normalizer::create(o);
  EXPECT_TRUE(n.ok()) << n.status().to_string();
  return *n;
}

TEST(Normalize, DefaultOptionsAreIdentity) {
  const Normalizer n = make({});
  EXPECT_TRUE(n.is_identity());
  const std::string s = "  ＡＢＣ　Hello\t世界  ";
  EXPECT_EQ(n.normalize(s), s);
}

TEST(Normalize, FullwidthToHalfwidth) {
  NormalizeOptions o;
  o.fullwidth_to_halfwidth = true;
  const Normalizer n = make(o);
  // U+FF01 ！, U+FF5E ～ (range ends), digits, letters, ideographic space; CJK punctuation
  // outside the range (，U+FF0C is inside; 。U+3002 is not) behaves accordingly.
  EXPECT_EQ(n.normalize("！～ＡＢｃ１２３　中文，。"), "!~ABc123 中文,。");
  // U+FF00 and U+FF5F are just outside the range and stay.
  EXPECT_EQ(n.normalize("\xEF\xBC\x80\xEF\xBD\x9F"), "\xEF\xBC\x80\xEF\xBD\x9F");
}

TEST(Normalize, LowercaseIsAsciiOnly) {
  NormalizeOptions o;
  o.lowercase = true;
  const Normalizer n = make(o);
  EXPECT_EQ(n.normalize("iPhone ÄÖ ΣΑ 中文"), "iphone ÄÖ ΣΑ 中文");
}

TEST(Normalize, FullwidthThenLowercase) {
  NormalizeOptions o;
  o.fullwidth_to_halfwidth = true;
  o.lowercase = true;
  EXPECT_EQ(make(o).normalize("ＩＰＨＯＮＥ"), "iphone");
}

TEST(Normalize, CollapseWhitespace) {
  NormalizeOptions o;
  o.collapse_whitespace = true;
  const Normalizer n = make(o);
  EXPECT_EQ(n.normalize("  a \t\n b\r\n"), "a b");
  // NBSP, ideographic space, line separator and NEL are Unicode whitespace.
  EXPECT_EQ(n.normalize("\u00A0好\u3000\u2028\u0085评\u2003"), "好 评");
  EXPECT_EQ(n.normalize(" \t "), "");
  EXPECT_EQ(n.normalize(""), "");
  // Zero-width space U+200B is not Unicode White_Space, but fenlei's one whitespace definition
  // (is_unicode_space) counts it, as the char tokenizer always has: it separates words.
  EXPECT_EQ(n.normalize("a\u200Bb"), "a b");
}

TEST(Normalize, InvalidUtf8BecomesReplacementCharacter) {
  NormalizeOptions o;
  o.lowercase = true;
  const std::string out = make(o).normalize("A\xFF" "B");
  EXPECT_EQ(out, "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(make({}).normalize("x\xC3"), "x\xEF\xBF\xBD");
}

TEST(Normalize, TraditionalToSimplified) {
  NormalizeOptions o;
  o.traditional_to_simplified = true;
  auto n = Normalizer::create(o);
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(n->normalize("漢字"), "汉字");
  EXPECT_EQ(n->normalize("這個酒店的服務很好"), "这个酒店的服务很好");
  EXPECT_EQ(n->normalize("已经是简体 abc"), "已经是简体 abc");
  EXPECT_EQ(n->normalize(""), "");
}

TEST(Normalize, AllOptionsTogether) {
  NormalizeOptions o;
  o.traditional_to_simplified = true;
  o.fullwidth_to_halfwidth = true;
  o.lowercase = true;
  o.collapse_whitespace = true;
  auto n = Normalizer::create(o);
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(n->normalize("　ＯＫ！  服務　很好 "), "ok! 服务 很好");
}

TEST(Normalize, ConcurrentNormalizeMatchesSerial) {
  NormalizeOptions o;
  o.traditional_to_simplified = true;
  o.fullwidth_to_halfwidth = true;
  auto created = Normalizer::create(o);
  ASSERT_TRUE(created.ok());
  const Normalizer& n = *created;
  const std::vector<std::string> inputs = {"這個酒店的服務很好", "頭髮乾燥", "電腦軟體ＡＢＣ",
                                           "臺灣的資訊產業", "沒有問題"};
  std::vector<std::string> want;
  for (const auto& s : inputs) want.push_back(n.normalize(s));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 200; ++rep)
        for (size_t i = 0; i < inputs.size(); ++i)
          if (n.normalize(inputs[i]) != want[i]) ++mismatches[t];
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(NormalizeJson, RoundTrip) {
  NormalizeOptions o;
  o.lowercase = true;
  o.traditional_to_simplified = true;
  const nlohmann::json j = to_json(o);
  EXPECT_EQ(j.at("lowercase"), true);
  EXPECT_EQ(j.at("fullwidth_to_halfwidth"), false);
  EXPECT_EQ(j.size(), 4u);
  auto back = normalize_options_from_json(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, o);
}

TEST(NormalizeJson, MissingKeysDefaultToFalse) {
  auto o = normalize_options_from_json(nlohmann::json::parse(R"({"lowercase": true})"));
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->lowercase);
  EXPECT_FALSE(o->collapse_whitespace);
}

TEST(NormalizeJson, RejectsUnknownKeysWrongTypesAndNonObjects) {
  auto a = normalize_options_from_json(nlohmann::json::parse(R"({"stem": true})"));
  EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("'stem'"), std::string::npos);
  auto b = normalize_options_from_json(nlohmann::json::parse(R"({"lowercase": 1})"));
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  auto c = normalize_options_from_json(nlohmann::json::parse("[true]"));
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fenlei::text

namespace fenlei::text {
namespace {

// One definition of whitespace: collapse_whitespace treats the zero-width separators U+200B and
// U+FEFF as spaces, exactly as the char tokenizer skips them (they used to disagree).
TEST(Whitespace, OneDefinitionIncludingZeroWidthSeparators) {
  for (char32_t cp : {U' ', U'\t', U'\n', char32_t(0x85), char32_t(0xA0), char32_t(0x2003),
                      char32_t(0x200B), char32_t(0x3000), char32_t(0xFEFF)})
    EXPECT_TRUE(is_unicode_space(cp)) << std::hex << uint32_t(cp);
  for (char32_t cp : {U'a', U'0', char32_t(0x200C), char32_t(0x200D), char32_t(0x4E00)})
    EXPECT_FALSE(is_unicode_space(cp)) << std::hex << uint32_t(cp);
  NormalizeOptions o;
  o.collapse_whitespace = true;
  auto n = Normalizer::create(o);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->normalize("\xEF\xBB\xBF" "好\xE2\x80\x8B" "吵 "), "好 吵");
}

}  // namespace
}  // namespace fenlei::text
