#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "vocab/vocab.h"

namespace fenlei::vocab {
namespace {

TEST(Vocabulary, DefaultHasOnlySpecials) {
  Vocabulary v;
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v.token(Vocabulary::kPadId), "<pad>");
  EXPECT_EQ(v.token(Vocabulary::kUnkId), "<unk>");
  EXPECT_EQ(v.id("<pad>"), 0);
  EXPECT_EQ(v.id("anything"), Vocabulary::kUnkId);
}

TEST(Vocabulary, BuildOrdersByCountThenBytes) {
  const TokenCounts counts = {{"的", 10}, {"好", 5}, {"b", 5}, {"a", 5}, {"差", 1}, {"c", 7}};
  const Vocabulary v = Vocabulary::build(counts, 0, 1);
  const std::vector<std::string> want = {"<pad>", "<unk>", "的", "c", "a", "b", "好", "差"};
  EXPECT_EQ(v.tokens(), want);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(v.id(want[i]), static_cast<int32_t>(i));
  EXPECT_EQ(v.id("missing"), Vocabulary::kUnkId);
}

TEST(Vocabulary, MaxSizeCountsSpecialsAndMinCountFilters) {
  const TokenCounts counts = {{"x", 9}, {"y", 8}, {"z", 7}, {"w", 1}};
  EXPECT_EQ(Vocabulary::build(counts, 4, 1).tokens(),
            (std::vector<std::string>{"<pad>", "<unk>", "x", "y"}));
  EXPECT_EQ(Vocabulary::build(counts, 2, 1).size(), 2u);
  EXPECT_EQ(Vocabulary::build(counts, 1, 1).size(), 2u);
  EXPECT_EQ(Vocabulary::build(counts, 0, 8).tokens(),
            (std::vector<std::string>{"<pad>", "<unk>", "x", "y"}));
  EXPECT_EQ(Vocabulary::build(counts, 100, 2).size(), 5u);
}

TEST(Vocabulary, BuildSkipsSpecialSpellingsAndEmptyTokens) {
  const TokenCounts counts = {{"<pad>", 100}, {"<unk>", 100}, {"", 50}, {"a", 1}};
  const Vocabulary v = Vocabulary::build(counts, 0, 1);
  EXPECT_EQ(v.tokens(), (std::vector<std::string>{"<pad>", "<unk>", "a"}));
}

TEST(Vocabulary, FromTokensValidates) {
  auto ok = Vocabulary::from_tokens({"<pad>", "<unk>", "a", "b"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->id("b"), 3);
  EXPECT_EQ(Vocabulary::from_tokens({"<unk>", "<pad>", "a"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Vocabulary::from_tokens({"<pad>"}).status().code(), StatusCode::kInvalidArgument);
  auto dup = Vocabulary::from_tokens({"<pad>", "<unk>", "a", "a"});
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("'a' appears twice"), std::string::npos);
  EXPECT_FALSE(Vocabulary::from_tokens({"<pad>", "<unk>", ""}).ok());
  EXPECT_FALSE(Vocabulary::from_tokens({"<pad>", "<unk>", "<pad>"}).ok());
}

TEST(Vocabulary, CopiesAndMovesKeepLookupsValid) {
  // Short (SSO) tokens are the dangerous case for string_view keys.
  Vocabulary a = Vocabulary::build({{"s", 3}, {"a-rather-long-token-beyond-sso", 2}}, 0, 1);
  Vocabulary b = a;
  Vocabulary c;
  c = b;
  Vocabulary d = std::move(a);
  for (const Vocabulary* v : {&b, &c, &d}) {
    EXPECT_EQ(v->id("s"), 2);
    EXPECT_EQ(v->id("a-rather-long-token-beyond-sso"), 3);
  }
  std::vector<Vocabulary> many(3, b);
  many.emplace_back(b);  // forces the vector to reallocate (moves)
  for (const auto& v : many) EXPECT_EQ(v.id("s"), 2);
}

TEST(Vocabulary, ExtendAppendsOnlyNewTokens) {
  const Vocabulary v = Vocabulary::build({{"a", 2}, {"b", 1}}, 0, 1);
  std::vector<std::string> more;
  for (int i = 0; i < 100; ++i) more.push_back("t" + std::to_string(i));
  more.push_back("a");
  more.push_back("t5");
  more.push_back("");
  const Vocabulary e = v.extend(more);
  EXPECT_EQ(e.size(), 4u + 100u);
  EXPECT_EQ(e.id("a"), 2);
  EXPECT_EQ(e.id("b"), 3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(e.id("t" + std::to_string(i)), 4 + i);
  EXPECT_EQ(v.size(), 4u);  // the original is untouched
}

TEST(Encode, KeepsFirstMaxLenTokens) {
  const Vocabulary v = Vocabulary::build({{"a", 3}, {"b", 2}, {"c", 1}}, 0, 1);
  const std::vector<std::string> toks = {"a", "zzz", "c", "b"};
  EXPECT_EQ(encode(v, toks, 0), (std::vector<int32_t>{2, 1, 4, 3}));
  EXPECT_EQ(encode(v, toks, 2), (std::vector<int32_t>{2, 1}));
  EXPECT_EQ(encode(v, toks, 10), (std::vector<int32_t>{2, 1, 4, 3}));
  const std::vector<std::string_view> views = {"c", "a"};
  EXPECT_EQ(encode(v, views, 1), (std::vector<int32_t>{4}));
  EXPECT_TRUE(encode(v, std::vector<std::string>{}, 5).empty());
}

TEST(CountTokens, SameResultForAnyThreadCount) {
  std::vector<std::vector<std::string>> docs;
  for (int i = 0; i < 1000; ++i)
    docs.push_back({"w" + std::to_string(i % 17), "common", "w" + std::to_string(i % 5)});
  const TokenCounts one = count_tokens(docs, 1);
  EXPECT_EQ(one.at("common"), 1000);
  EXPECT_EQ(one.at("w0"), 59 + 200);  // i%17==0: 59 docs; i%5==0: 200 docs
  for (int threads : {2, 3, 8, 5000}) EXPECT_EQ(count_tokens(docs, threads), one) << threads;
  EXPECT_TRUE(count_tokens(std::vector<std::vector<std::string>>{}, 4).empty());
}

TEST(CountTokens, RethrowsTokenizerExceptionsAfterJoin) {
  auto bad = [](size_t i, std::vector<std::string>* out) {
    if (i == 7) throw std::runtime_error("boom");
    out->push_back("x");
  };
  EXPECT_THROW(count_tokens(20, bad, 3), std::runtime_error);
}

TEST(BigramBucket, PinnedFnv1aValues) {
  // Golden values computed independently (Python); they must never change, since trained models
  // store embedding rows at these indices.
  EXPECT_EQ(bigram_bucket(0, 0, 0xFFFFFFFFu), 12161962213042174405ULL % 0xFFFFFFFFULL);
  EXPECT_EQ(bigram_bucket(2, 3, 2000000), 53076u);
  EXPECT_EQ(bigram_bucket(12345, 678, 2000000), 1391732u);
  EXPECT_EQ(bigram_bucket(-1, 7, 1000), 198u);
  EXPECT_NE(bigram_bucket(2, 3, 2000000), bigram_bucket(3, 2, 2000000));  // order matters
  EXPECT_EQ(bigram_bucket(2, 3, 0), 0u);
}

}  // namespace
}  // namespace fenlei::vocab
