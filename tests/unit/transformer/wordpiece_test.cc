#include "transformer/wordpiece.h"

#include <gtest/gtest.h>

namespace fenlei::transformer {
namespace {

WordPieceTokenizer make(bool lowercase, std::optional<bool> strip = std::nullopt) {
  hf::WordPieceSettings s;
  s.vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello",
             "world", ",", "!", "我", "爱", "北", "京", "cafe", "café", "##s", "Hello"};
  s.lowercase = lowercase;
  s.strip_accents = strip;
  s.model_max_length = 8;
  auto t = WordPieceTokenizer::create(s);
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return std::move(*t);
}

using Tokens = std::vector<std::string>;

TEST(WordPiece, LowercasePunctuationAndPieces) {
  auto t = make(true);
  EXPECT_EQ(t.tokenize("UNaffable, Hello\tworld!"),
            (Tokens{"un", "##aff", "##able", ",", "hello", "world", "!"}));
  EXPECT_EQ(t.tokenize("我爱北京"), (Tokens{"我", "爱", "北", "京"}));
  EXPECT_EQ(t.tokenize("Café cafés"), (Tokens{"cafe", "cafe", "##s"}));
  EXPECT_EQ(t.tokenize("unknownword"), (Tokens{"[UNK]"}));
  EXPECT_EQ(t.tokenize(std::string(101, 'a')), (Tokens{"[UNK]"}));
  EXPECT_EQ(t.tokenize("hello[SEP]world"), (Tokens{"hello", "[SEP]", "world"}));
  EXPECT_EQ(t.tokenize("\x01hel\u200blo"), (Tokens{"hello"}));  // control/format chars removed
  EXPECT_EQ(t.tokenize(""), Tokens{});
}

TEST(WordPiece, CaseAndAccentsAsConfigured) {
  EXPECT_EQ(make(false).tokenize("Hello café"), (Tokens{"Hello", "café"}));
  EXPECT_EQ(make(true, false).tokenize("CAFÉ"), (Tokens{"café"}));
  EXPECT_EQ(make(false, true).tokenize("café"), (Tokens{"cafe"}));
}

TEST(WordPiece, EncodeAddsSpecialsAndTruncates) {
  auto t = make(true);
  Encoding e = t.encode("hello world");
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "hello", "world", "[SEP]"}));
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 8, 9, 3}));
  e = t.encode("我 我 我 我 我 我 我 我 我");
  EXPECT_EQ(e.tokens.size(), 8u);
  EXPECT_EQ(e.tokens.back(), "[SEP]");
  EXPECT_EQ(t.encode("hello", 3).tokens, (Tokens{"[CLS]", "hello", "[SEP]"}));
}

// encode_ids (no token strings, stops once the pieces fill max_length) gives encode's ids,
// truncation, specials and [UNK] words included.
TEST(WordPiece, EncodeIdsEqualsEncode) {
  auto t = make(true);
  const std::vector<std::string> texts = {
      "", "hello world", "UNaffable, Hello\tworld!", "我 我 我 我 我 我 我 我 我", "我爱北京我爱北京",
      "hello[SEP]world[MASK]我", "[CLS][SEP][SEP][SEP][SEP][SEP][SEP][SEP][SEP]", "unknownword hello",
      "unaffable unaffable unaffable", "hello hello hello hello hello hello unaffable", "Café cafés!!",
      std::string(101, 'a') + " hello", "\x01hel\u200blo \xff world"};
  for (const std::string& text : texts)
    for (int64_t max_length : {0, 2, 3, 4, 5, 6, 7, 20}) {
      std::vector<int32_t> ids = {42};  // replaced, not appended to
      t.encode_ids(text, &ids, max_length);
      EXPECT_EQ(ids, t.encode(text, max_length).ids) << text << " " << max_length;
    }
  // encode() keeps tokens and ids in step when truncation falls inside a word's pieces.
  const Encoding e = t.encode("hello unaffable", 4);
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "hello", "un", "[SEP]"}));
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 8, 5, 3}));
}

// The vocabulary index: every token finds its id (a repeated token its first), others -1.
TEST(WordPiece, IdOfEveryTokenOfALargeVocabulary) {
  hf::WordPieceSettings s;
  s.vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "", "dup"};
  for (int i = 0; i < 5000; ++i) s.vocab.push_back((i % 2 ? "##w" : "w") + std::to_string(i));
  s.vocab.push_back("dup");
  auto t = WordPieceTokenizer::create(s);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  for (size_t i = 0; i + 1 < s.vocab.size(); ++i) ASSERT_EQ(t->id_of(s.vocab[i]), static_cast<int32_t>(i));
  EXPECT_EQ(t->id_of("dup"), 6);
  EXPECT_EQ(t->id_of("w1"), -1);
  EXPECT_EQ(t->id_of("##w1"), 8);
  EXPECT_EQ(t->id_of("w5000"), -1);
  EXPECT_EQ(t->id_of("[UNK"), -1);
}

TEST(WordPiece, MissingSpecialTokenIsAnError) {
  hf::WordPieceSettings s;
  s.vocab = {"a", "b"};
  EXPECT_FALSE(WordPieceTokenizer::create(s).ok());
}

}  // namespace
}  // namespace fenlei::transformer
