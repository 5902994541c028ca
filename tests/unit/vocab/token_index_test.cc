#include "vocab/token_index.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "format/model_file.h"
#include "vocab/vocab.h"

namespace fenlei::vocab {
namespace {

// The reference: what the vocabulary used before the flat table.
using Reference = std::unordered_map<std::string, int32_t>;

int32_t reference_find(const Reference& ref, const std::string& token) {
  const auto it = ref.find(token);
  return it == ref.end() ? TokenIndex::kAbsent : it->second;
}

// Random byte strings (any byte value, invalid UTF-8 included), lengths 0..max_len.
std::string random_bytes(std::mt19937& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(len(rng), '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

TEST(TokenIndex, EmptyIndexFindsNothing) {
  TokenIndex index;
  EXPECT_EQ(index.find(""), TokenIndex::kAbsent);
  EXPECT_EQ(index.find("a"), TokenIndex::kAbsent);
  EXPECT_EQ(index.size(), 0u);
}

TEST(TokenIndex, InsertReturnsTheFirstIdOfARepeatedToken) {
  TokenIndex index;
  EXPECT_EQ(index.insert("好", 2), 2);
  EXPECT_EQ(index.insert("好", 7), 2);
  EXPECT_EQ(index.find("好"), 2);
  EXPECT_EQ(index.size(), 1u);
}

TEST(TokenIndex, EmptyLongAndBinaryKeys) {
  TokenIndex index;
  const std::string long_token(5000, 'x');
  const std::string nul_inside("a\0b", 3);
  const std::string invalid_utf8 = "\xff\xfe\xc3";
  index.insert(long_token, 1);
  index.insert(nul_inside, 2);
  index.insert(invalid_utf8, 3);
  EXPECT_EQ(index.find(long_token), 1);
  EXPECT_EQ(index.find(std::string(4999, 'x')), TokenIndex::kAbsent);
  EXPECT_EQ(index.find(std::string(5001, 'x')), TokenIndex::kAbsent);
  EXPECT_EQ(index.find(nul_inside), 2);
  EXPECT_EQ(index.find("a"), TokenIndex::kAbsent);  // a prefix up to the NUL is another key
  EXPECT_EQ(index.find(invalid_utf8), 3);
  EXPECT_EQ(index.find(""), TokenIndex::kAbsent);
  index.insert("", 4);  // Vocabulary never stores "", but the index itself can
  EXPECT_EQ(index.find(""), 4);
}

TEST(TokenIndex, MatchesUnorderedMapOnRandomKeys) {
  std::mt19937 rng(17);
  for (size_t max_len : {size_t{3}, size_t{9}, size_t{40}}) {
    TokenIndex index;
    Reference ref;
    for (int32_t id = 0; id < 20000; ++id) {
      const std::string token = random_bytes(rng, max_len);
      const int32_t got = index.insert(token, id);
      const auto [it, inserted] = ref.emplace(token, id);
      ASSERT_EQ(got, it->second) << "max_len " << max_len;
      (void)inserted;
    }
    ASSERT_EQ(index.size(), ref.size());
    for (const auto& [token, id] : ref) ASSERT_EQ(index.find(token), id);
    for (int i = 0; i < 20000; ++i) {  // mostly absent probes, some present
      const std::string token = random_bytes(rng, max_len);
      ASSERT_EQ(index.find(token), reference_find(ref, token));
    }
  }
}

TEST(TokenIndex, SameBytesFindsEveryDifferingByte) {
  // Every length around the word-compare boundaries, a difference at every position.
  for (size_t n = 0; n <= 40; ++n) {
    std::string a(n, '\0');
    for (size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + i % 26);
    std::string b = a;
    ASSERT_TRUE(TokenIndex::same_bytes(a.data(), b.data(), n)) << n;
    for (size_t i = 0; i < n; ++i) {
      b[i] = static_cast<char>(b[i] ^ 0x80);
      ASSERT_FALSE(TokenIndex::same_bytes(a.data(), b.data(), n)) << n << " " << i;
      b[i] = a[i];
    }
  }
}

TEST(TokenIndex, CopiesAreIndependent) {
  TokenIndex a;
  a.insert("s", 0);
  TokenIndex b = a;
  b.insert("t", 1);
  EXPECT_EQ(a.find("t"), TokenIndex::kAbsent);
  EXPECT_EQ(b.find("s"), 0);
  TokenIndex c = std::move(b);
  EXPECT_EQ(c.find("t"), 1);
}

TEST(TokenIndex, HashSpreadsShortCjkTokens) {
  // Every 1- and 2-character token over 400 common code points: no 64-bit collisions, and the
  // low bits (the slot) spread about evenly.
  std::vector<std::string> chars;
  for (char32_t cp = 0x4e00; cp < 0x4e00 + 400; ++cp) {
    chars.push_back({static_cast<char>(0xe0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
                     static_cast<char>(0x80 | (cp & 0x3f))});
  }
  std::set<uint64_t> hashes;
  std::vector<int> bins(1024, 0);
  size_t n = 0;
  for (const auto& a : chars) {
    for (const auto& b : chars) {
      const uint64_t h = TokenIndex::hash(a + b);
      hashes.insert(h);
      ++bins[h & 1023];
      ++n;
    }
    hashes.insert(TokenIndex::hash(a));
    ++n;
  }
  EXPECT_EQ(hashes.size(), n);
  const double mean = static_cast<double>(n) / bins.size();
  for (int count : bins) {
    EXPECT_GT(count, mean * 0.7);
    EXPECT_LT(count, mean * 1.3);
  }
}

TEST(TokenIndex, RealModelVocabularyGivesTheSameIds) {
  auto file = format::read_model_file(std::string(FENLEI_TEST_DATA_DIR) +
                                      "/compat/v1-textcnn-word.fenlei");
  ASSERT_TRUE(file.ok()) << file.status().message();
  const std::vector<std::string>& tokens = file->vocabulary;
  ASSERT_GT(tokens.size(), 100u);
  auto vocab = Vocabulary::from_tokens(tokens);
  ASSERT_TRUE(vocab.ok());
  Reference ref;
  for (size_t i = 0; i < tokens.size(); ++i) ref.emplace(tokens[i], static_cast<int32_t>(i));
  for (size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_EQ(vocab->id(tokens[i]), static_cast<int32_t>(i)) << tokens[i];
    // Prefixes, extensions and byte cuts inside a character are absent unless they are tokens.
    for (const std::string& probe : {tokens[i].substr(0, tokens[i].size() - 1), tokens[i] + "x",
                                     tokens[i] + tokens[i], tokens[i].substr(1)}) {
      const int32_t want = reference_find(ref, probe);
      ASSERT_EQ(vocab->id(probe), want == TokenIndex::kAbsent ? Vocabulary::kUnkId : want) << probe;
    }
  }
  EXPECT_EQ(vocab->id(""), Vocabulary::kUnkId);
}

}  // namespace
}  // namespace fenlei::vocab
