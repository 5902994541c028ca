#include "hf/tokenizer_files.h"

#include <gtest/gtest.h>

namespace fenlei::hf {
namespace {

TEST(TokenizerFiles, VocabTxtIdsAreLineNumbers) {
  auto v = parse_vocab_txt("[PAD]\n[UNK]\nhello\n##lo\n", "vocab.txt");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<std::string>{"[PAD]", "[UNK]", "hello", "##lo"}));
  auto dup = parse_vocab_txt("a\nb\na\n", "vocab.txt");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("vocab.txt:3"), std::string::npos);
  EXPECT_FALSE(parse_vocab_txt("", "vocab.txt").ok());
  EXPECT_FALSE(parse_vocab_txt("a\n\xff\n", "vocab.txt").ok());
}

TEST(TokenizerFiles, TokenizerConfigAndSpecialTokens) {
  WordPieceSettings s;
  ASSERT_TRUE(apply_tokenizer_config(R"({"do_lower_case": false, "strip_accents": null,
      "tokenize_chinese_chars": true, "model_max_length": 1000000000000000019884624838656,
      "unk_token": {"content": "<unk>"}})", "tokenizer_config.json", &s).ok());
  EXPECT_FALSE(s.lowercase);
  EXPECT_FALSE(s.strip_accents.has_value());
  EXPECT_EQ(s.unk_token, "<unk>");
  EXPECT_GT(s.model_max_length, 1 << 20);
  auto bad = apply_tokenizer_config(R"({"do_lower_case": "yes"})", "tokenizer_config.json", &s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("do_lower_case"), std::string::npos);
  ASSERT_TRUE(apply_special_tokens_map(R"({"cls_token": "<s>"})", "special_tokens_map.json", &s).ok());
  EXPECT_EQ(s.cls_token, "<s>");
}

TEST(TokenizerFiles, FastTokenizerJson) {
  WordPieceSettings s;
  ASSERT_TRUE(apply_tokenizer_json(R"({"normalizer": {"type": "BertNormalizer", "clean_text": true,
      "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
      "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                "max_input_chars_per_word": 100, "vocab": {"[UNK]": 1, "[PAD]": 0, "a": 2}}})",
                                   "tokenizer.json", &s)
                  .ok());
  EXPECT_EQ(s.vocab, (std::vector<std::string>{"[PAD]", "[UNK]", "a"}));
  auto gap = apply_tokenizer_json(
      R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 5}}})", "tokenizer.json", &s);
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.message().find("model.vocab"), std::string::npos);
  EXPECT_FALSE(apply_tokenizer_json(R"({"model": {"type": "BPE"}})", "tokenizer.json", &s).ok());
}

}  // namespace
}  // namespace fenlei::hf
