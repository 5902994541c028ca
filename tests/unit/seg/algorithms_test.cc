// Hand-written tests of each piece of the jieba algorithm, with the default dictionary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "seg/char_class.h"
#include "seg/cut_engine.h"
#include "seg_test_util.h"

namespace fenlei::seg {
namespace {

using testing::default_segmenter;
using testing::join;

std::string cut(const std::string& text, CutMode mode = CutMode::kDefault, bool hmm = true) {
  return join(default_segmenter().cut(text, mode, hmm));
}

TEST(CharClass, HanClassAndWhitespace) {
  EXPECT_TRUE(is_han_class(U'中'));
  EXPECT_TRUE(is_han_class(0x9FD5));
  EXPECT_FALSE(is_han_class(0x9FD6));
  EXPECT_FALSE(is_han_class(0x3400));   // Ext-A
  EXPECT_FALSE(is_han_class(0x20BB7));  // astral CJK
  for (char c : std::string("azAZ09+#&._%-")) EXPECT_TRUE(is_han_class(c)) << c;
  for (char c : std::string("!?,:/@*=~$() ")) EXPECT_FALSE(is_han_class(c)) << c;
  EXPECT_TRUE(is_py_space(0x3000));
  EXPECT_TRUE(is_py_space(0x1C));
  EXPECT_TRUE(is_py_space(0x85));
  EXPECT_FALSE(is_py_space(0x200B));
  EXPECT_FALSE(is_py_space(0xFEFF));
  int count = 0;
  for (char32_t c = 0; c < 0x110000; ++c) count += is_py_space(c);
  EXPECT_EQ(count, 29);
}

TEST(Trie, WordsPrefixesAndTotals) {
  const Segmenter& seg = default_segmenter();
  EXPECT_EQ(seg.total_freq(), 60101967);
  EXPECT_EQ(seg.num_keys(), 498113u);
  EXPECT_TRUE(seg.is_word("北京"));
  EXPECT_TRUE(seg.is_word("AT&T"));
  EXPECT_FALSE(seg.is_word("at&t"));
  EXPECT_TRUE(seg.is_word("B超"));
  EXPECT_FALSE(seg.is_word("北京邮"));  // a prefix-only key is not a word
  EXPECT_FALSE(seg.is_word("γ射"));
  EXPECT_FALSE(seg.is_word(""));
}

TEST(BlockSplit, OtherBlocksDefaultAndFull) {
  EXPECT_EQ(cut("，。！"), "，/。/！");
  EXPECT_EQ(cut("a\r\nb\n\rc"), "a/\r\n/b/\n/\r/c");
  EXPECT_EQ(cut("  "), " / ");
  EXPECT_EQ(cut(" ", CutMode::kFull), "/ /");
  EXPECT_EQ(cut("中 文", CutMode::kFull), "中// //文");
  EXPECT_EQ(cut("，。！？", CutMode::kFull), "，。！？");
  EXPECT_EQ(cut("\xEF\xBB\xBF开头是BOM"), "\xEF\xBB\xBF/开头/是/BOM");
  EXPECT_EQ(default_segmenter().cut("").size(), 0u);
}

TEST(Route, TiesGoToTheLongerWord) {
  EXPECT_EQ(cut("呵呵呵", CutMode::kDefault, false), "呵呵/呵");
  EXPECT_EQ(cut("啊啊啊啊啊", CutMode::kDefault, false), "啊啊啊/啊/啊");
  EXPECT_EQ(cut("南京市长江大桥", CutMode::kDefault, false), "南京市/长江大桥");
}

TEST(Dag, FullModeListsEveryWord) {
  EXPECT_EQ(cut("南京市长江大桥", CutMode::kFull), "南京/南京市/京市/市长/长江/长江大桥/大桥");
  EXPECT_EQ(cut("好好好", CutMode::kFull), "好好/好好");
  EXPECT_EQ(cut("3.5万", CutMode::kFull), "3/./5/万");
}

TEST(Hmm, JoinsUnknownWordsAndSplitsBufferedWords) {
  EXPECT_EQ(cut("我来到北京清华大学"), "我/来到/北京/清华大学");
  EXPECT_EQ(cut("他来到了网易杭研大厦"), "他/来到/了/网易/杭研/大厦");
  EXPECT_EQ(cut("他来到了网易杭研大厦", CutMode::kDefault, false), "他/来到/了/网易/杭/研/大厦");
  EXPECT_EQ(cut("了了"), "了/了");
  EXPECT_EQ(cut("偵偽"), "偵偽");
  EXPECT_EQ(cut("丄丅丏"), "丄/丅/丏");
}

TEST(Hmm, AsciiRunsAndDecimals) {
  EXPECT_EQ(cut("iPhone13跑分3.5万"), "iPhone13/跑/分/3.5/万");
  EXPECT_EQ(cut("版本3.14.15"), "版本/3.14/./15");
  EXPECT_EQ(cut("a-b-c"), "a/-/b/-/c");
  EXPECT_EQ(cut("..."), "...");
  EXPECT_EQ(cut("...", CutMode::kDefault, false), "././.");
  EXPECT_EQ(cut("增长50%"), "增长/50%");
  EXPECT_EQ(cut("3.5万", CutMode::kDefault, false), "3/./5/万");
}

TEST(Search, SubGramsBeforeTheWord) {
  EXPECT_EQ(cut("小明硕士毕业于中国科学院计算所", CutMode::kSearch),
            "小明/硕士/毕业/于/中国/科学/学院/科学院/中国科学院/计算/计算所");
}

TEST(ViewApi, TokensPointIntoTheInput) {
  const std::string text = "我来到北京清华大学, hello world";
  std::vector<std::string_view> tokens;
  default_segmenter().cut(text, CutMode::kDefault, true, &tokens);
  std::string joined;
  for (auto t : tokens) {
    EXPECT_GE(t.data(), text.data());
    EXPECT_LE(t.data() + t.size(), text.data() + text.size());
    joined += t;
  }
  EXPECT_EQ(joined, text);
  tokens.push_back("stale");
  default_segmenter().cut("", CutMode::kDefault, true, &tokens);
  EXPECT_TRUE(tokens.empty());  // cleared first
}

TEST(Decode, LenientDecoderNeverOverreads) {
  const unsigned char bad[] = {0xE4, 0xB8};  // truncated 3-byte sequence
  char32_t c = 0;
  EXPECT_EQ(detail::decode_lenient(bad, 2, &c), 1u);
  EXPECT_EQ(c, 0xFFFDu);
  const unsigned char ok[] = {0xE4, 0xB8, 0xAD};
  EXPECT_EQ(detail::decode_lenient(ok, 3, &c), 3u);
  EXPECT_EQ(c, U'中');
}

}  // namespace
}  // namespace fenlei::seg
