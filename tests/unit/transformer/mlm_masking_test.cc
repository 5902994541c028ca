// Whole-word masking for pretraining (train/mlm_masking.h): jieba words stay whole, the masking
// rate and the 80/10/10 split hold over many texts, [CLS]/[SEP] are never chosen and special
// tokens never drawn as replacements, and masks depend on the key alone.
#include "train/mlm_masking.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "train/wordpiece_vocab.h"

namespace fenlei::train {
namespace {

const char* const kTexts[] = {
    "我来到北京清华大学",
    "他来到了网易杭研大厦",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "酒店的服务很好，房间干净，早餐也不错",
    "The room was clean and the staff were friendly",
    "房间太小了，隔音很差，晚上很吵",
    "我们明天去上海看外滩的夜景",
    "这家酒店位置很好，交通方便，下次还会再来",
};

struct Fixture {
  std::shared_ptr<const seg::Segmenter> segmenter;
  std::unique_ptr<transformer::WordPieceTokenizer> tokenizer;
  std::vector<bool> special;
  int32_t mask_id = -1;
};

const Fixture& fixture() {
  static const Fixture* f = [] {
    auto* fx = new Fixture();
    auto seg = seg::Segmenter::load({});
    EXPECT_TRUE(seg.ok()) << seg.status().to_string();
    fx->segmenter = *seg;
    std::vector<std::string> texts(std::begin(kTexts), std::end(kTexts));
    auto vocab = build_wordpiece_vocab(texts, {});
    EXPECT_TRUE(vocab.ok());
    hf::WordPieceSettings s = pretrain_tokenizer_settings();
    s.vocab = *vocab;
    auto tok = transformer::WordPieceTokenizer::create(s);
    EXPECT_TRUE(tok.ok());
    fx->tokenizer = std::make_unique<transformer::WordPieceTokenizer>(std::move(*tok));
    fx->special.assign(vocab->size(), false);
    for (int i = 0; i < 5; ++i) fx->special[i] = true;  // [PAD] [UNK] [CLS] [SEP] [MASK]
    fx->mask_id = fx->tokenizer->id_of("[MASK]");
    return fx;
  }();
  return *f;
}

WholeWordText encode(const std::string& text, int max_len = 128) {
  const Fixture& f = fixture();
  return encode_whole_words(*f.segmenter, *f.tokenizer, text, max_len);
}

TEST(WordPieceVocab, SpecialsFirstThenEveryCharacter) {
  const Fixture& f = fixture();
  EXPECT_EQ(f.tokenizer->pad_id(), 0);
  EXPECT_EQ(f.tokenizer->unk_id(), 1);
  EXPECT_EQ(f.tokenizer->cls_id(), 2);
  EXPECT_EQ(f.tokenizer->sep_id(), 3);
  EXPECT_EQ(f.mask_id, 4);
  for (const char* text : kTexts)
    for (const std::string& piece : f.tokenizer->tokenize(text))
      EXPECT_NE(f.tokenizer->id_of(piece), f.tokenizer->unk_id()) << piece;
  // Chinese is split into characters; "the" occurs twice and is a whole word.
  EXPECT_GE(f.tokenizer->id_of("京"), 5);
  EXPECT_GE(f.tokenizer->id_of("the"), 5);
  EXPECT_EQ(f.tokenizer->id_of("北京"), -1);
  EXPECT_FALSE(build_wordpiece_vocab({"   ", ""}, {}).ok());
}

TEST(WholeWordMasking, GroupsPiecesByJiebaWords) {
  const WholeWordText t = encode("我来到北京清华大学");
  // 我 / 来到 / 北京 / 清华大学: [CLS] + 9 characters + [SEP].
  ASSERT_EQ(t.ids.size(), 11u);
  EXPECT_EQ(t.ids.front(), fixture().tokenizer->cls_id());
  EXPECT_EQ(t.ids.back(), fixture().tokenizer->sep_id());
  EXPECT_EQ(t.word_begin, (std::vector<int32_t>{1, 2, 4, 6}));
  EXPECT_EQ(t.word_end(3), 10);
  // The length limit cuts pieces, keeping [CLS]/[SEP].
  const WholeWordText cut = encode("我来到北京清华大学", 6);
  EXPECT_EQ(cut.ids.size(), 6u);
  EXPECT_EQ(cut.ids.back(), fixture().tokenizer->sep_id());
  EXPECT_EQ(cut.word_begin, (std::vector<int32_t>{1, 2, 4}));
  EXPECT_EQ(cut.word_end(2), 5);
  EXPECT_EQ(encode("   ").words(), 0);
}

TEST(WholeWordMasking, WholeWordsRateAndSplit) {
  const Fixture& f = fixture();
  MaskingOptions o;
  int64_t pieces = 0, chosen = 0, as_mask = 0, as_random = 0, kept = 0;
  for (uint64_t key = 0; key < 400; ++key) {
    for (const char* text : kTexts) {
      const WholeWordText t = encode(text);
      const MaskedText m = mask_whole_words(t, o, f.mask_id, f.special, key * 31 + 7);
      pieces += static_cast<int64_t>(t.ids.size()) - 2;
      chosen += static_cast<int64_t>(m.positions.size());
      ASSERT_FALSE(m.positions.empty());
      std::set<int32_t> at(m.positions.begin(), m.positions.end());
      for (size_t i = 0; i < m.positions.size(); ++i) {
        const int32_t p = m.positions[i];
        ASSERT_GT(p, 0);                                      // never [CLS]
        ASSERT_LT(p, static_cast<int32_t>(t.ids.size()) - 1);  // never [SEP]
        ASSERT_EQ(m.targets[i], t.ids[p]);
        if (m.input[p] == f.mask_id) {
          ++as_mask;
        } else if (m.input[p] == t.ids[p]) {
          ++kept;
        } else {
          ++as_random;
          ASSERT_FALSE(f.special[m.input[p]]) << m.input[p];
        }
      }
      // Unchosen positions are untouched; a word is chosen whole or not at all.
      for (int p = 0; p < static_cast<int>(t.ids.size()); ++p)
        if (!at.count(p)) {
          ASSERT_EQ(m.input[p], t.ids[p]);
        }
      for (int w = 0; w < t.words(); ++w) {
        int in = 0;
        for (int p = t.word_begin[w]; p < t.word_end(w); ++p) in += static_cast<int>(at.count(p));
        ASSERT_TRUE(in == 0 || in == t.word_end(w) - t.word_begin[w]) << text << " word " << w;
      }
    }
  }
  const double rate = static_cast<double>(chosen) / pieces;
  EXPECT_GT(rate, 0.13);
  EXPECT_LT(rate, 0.17);
  EXPECT_NEAR(static_cast<double>(as_mask) / chosen, 0.8, 0.03);
  // A random draw can hit the original token (1 in ~180 here): "kept" gains a little.
  EXPECT_NEAR(static_cast<double>(as_random) / chosen, 0.1, 0.02);
  EXPECT_NEAR(static_cast<double>(kept) / chosen, 0.1, 0.02);
}

TEST(WholeWordMasking, DeterministicForAKey) {
  const Fixture& f = fixture();
  const WholeWordText t = encode(kTexts[2]);
  MaskingOptions o;
  const MaskedText a = mask_whole_words(t, o, f.mask_id, f.special, 99);
  const MaskedText b = mask_whole_words(t, o, f.mask_id, f.special, 99);
  EXPECT_EQ(a.input, b.input);
  EXPECT_EQ(a.positions, b.positions);
  bool differs = false;
  for (uint64_t key = 100; key < 110 && !differs; ++key)
    differs = mask_whole_words(t, o, f.mask_id, f.special, key).positions != a.positions;
  EXPECT_TRUE(differs);
  // mask_prob decides how many pieces are chosen.
  o.mask_prob = 0.5f;
  const MaskedText half = mask_whole_words(t, o, f.mask_id, f.special, 99);
  EXPECT_GT(half.positions.size(), a.positions.size());
  EXPECT_LE(half.positions.size(), (t.ids.size() - 2 + 1) / 2 + 1);
}

}  // namespace
}  // namespace fenlei::train
