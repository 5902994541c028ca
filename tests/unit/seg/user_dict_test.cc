// User dictionaries (jieba's load_userdict semantics) and main-dictionary errors. Expected
// values were produced with Debian's python3-jieba 0.42.1 (jieba.load_userdict, jieba.cut).
#include <gtest/gtest.h>

#include <string>

#include "text/utf8.h"
#include "fenlei/version.h"
#include "seg/freq_dict.h"
#include "seg_test_util.h"
#include "test_util.h"

namespace fenlei::seg {
namespace {

using testing::join;

// BOM, CRLF, an empty line, missing frequencies, a word with a space, a capitalised "tag".
const char kUserDict[] =
    "\xEF\xBB\xBF杭研 5 nz\r\n网易杭研大厦\r\n\r\n云计算 nz\nNew York 10\n创新办 3 i\n台中\nABC Nz\n";

std::shared_ptr<const Segmenter> load_with(SegmenterOptions options) {
  options.use_cache = false;
  auto seg = Segmenter::load(options);
  EXPECT_TRUE(seg.ok()) << seg.status().to_string();
  return seg.ok() ? *seg : nullptr;
}

TEST(UserDictLine, JiebaRegexSemantics) {
  auto e = parse_user_dict_line("New York 10");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->word, "New York");
  EXPECT_TRUE(e->has_freq);
  EXPECT_EQ(e->freq, 10);
  e = parse_user_dict_line("云计算 nz");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->word, "云计算");
  EXPECT_FALSE(e->has_freq);
  EXPECT_EQ(e->tag, "nz");
  e = parse_user_dict_line("ABC Nz");  // capitals are not a tag: part of the word
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->word, "ABC Nz");
  e = parse_user_dict_line("1 2 x");  // the word is the shortest prefix that works
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->word, "1");
  EXPECT_EQ(e->freq, 2);
  EXPECT_EQ(e->tag, "x");
  e = parse_user_dict_line("词\t5");  // a tab is not a separator
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->word, "词\t5");
  EXPECT_FALSE(parse_user_dict_line("词 99999999999999999999999").ok());
}

TEST(UserDict, FrequenciesAndTotalMatchJieba) {
  FreqDict dict;
  const std::string dict_txt =
      fenlei::testing::read_text_file(std::string(FENLEI_DEFAULT_JIEBA_DIR) + "/dict.txt");
  ASSERT_TRUE(load_main_dict(dict_txt, "dict.txt", &dict).ok());
  ASSERT_EQ(dict.total, 60101967);
  ASSERT_TRUE(load_user_dict(kUserDict, "user.txt", &dict).ok());
  EXPECT_EQ(dict.total, 60102057);
  EXPECT_EQ(dict.get(utf8::to_u32("杭研")), 5);
  EXPECT_EQ(dict.get(utf8::to_u32("网易杭研大厦")), 1);
  EXPECT_EQ(dict.get(utf8::to_u32("云计算")), 1);
  EXPECT_EQ(dict.get(utf8::to_u32("New York")), 10);
  EXPECT_EQ(dict.get(utf8::to_u32("台中")), 69);
  EXPECT_EQ(dict.get(utf8::to_u32("ABC Nz")), 1);
}

TEST(UserDict, CutsLikeJiebaFromFileAndFromMemory) {
  fenlei::testing::TempDir dir;
  fenlei::testing::write_text_file(dir.file("user.txt"), kUserDict);
  SegmenterOptions from_file;
  from_file.user_dict_paths = {dir.file("user.txt")};
  SegmenterOptions from_text;
  from_text.user_dict_texts = {kUserDict};
  for (const auto& seg : {load_with(from_file), load_with(from_text)}) {
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->total_freq(), 60102057);
    EXPECT_EQ(join(seg->cut("他来到了网易杭研大厦")), "他/来到/了/网易杭研大厦");
    EXPECT_EQ(join(seg->cut("他来到了网易杭研大厦", CutMode::kSearch)),
              "他/来到/了/网易/杭研/大厦/网易杭研大厦");
    EXPECT_EQ(join(seg->cut("李小福是创新办主任也是云计算方面的专家")),
              "李小福/是/创新办/主任/也/是/云计算/方面/的/专家");
    EXPECT_EQ(join(seg->cut("李小福是创新办主任也是云计算方面的专家", CutMode::kDefault, false)),
              "李/小/福/是/创新办/主任/也/是/云计算/方面/的/专家");
    EXPECT_EQ(join(seg->cut("李小福是创新办主任也是云计算方面的专家", CutMode::kSearch)),
              "李小福/是/创新/创新办/主任/也/是/计算/云计算/方面/的/专家");
    EXPECT_EQ(join(seg->cut("New York ABC Nz")), "New/ /York/ /ABC/ /Nz");
  }
}

TEST(UserDict, ZeroFrequencyForcesHmmSplit) {
  // Without the user entry the HMM joins 杭研; with "杭研 0" it must be split.
  auto seg = load_with([] {
    SegmenterOptions o;
    o.user_dict_texts = {"杭研 0\n"};
    return o;
  }());
  ASSERT_TRUE(seg);
  EXPECT_EQ(join(seg->cut("他来到了网易杭研大厦")), "他/来到/了/网易/杭/研/大厦");
}

TEST(UserDict, BrokenLinesNameFileAndLine) {
  fenlei::testing::TempDir dir;
  fenlei::testing::write_text_file(dir.file("bad.txt"), "好词 3\n\xFF\xFE 5\n");
  SegmenterOptions o;
  o.use_cache = false;
  o.user_dict_paths = {dir.file("bad.txt")};
  auto seg = Segmenter::load(o);
  ASSERT_FALSE(seg.ok());
  EXPECT_NE(seg.status().message().find("bad.txt:2"), std::string::npos) << seg.status().message();
  EXPECT_NE(seg.status().message().find("UTF-8"), std::string::npos);

  o.user_dict_paths = {dir.file("missing.txt")};
  seg = Segmenter::load(o);
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.status().code(), StatusCode::kNotFound);

  o.user_dict_paths = {};
  o.user_dict_texts = {"ok 1\n词 123456789012345678901234567890\n"};
  seg = Segmenter::load(o);
  ASSERT_FALSE(seg.ok());
  EXPECT_NE(seg.status().message().find(":2"), std::string::npos) << seg.status().message();
}

TEST(MainDict, MalformedLinesNameFileAndLine) {
  fenlei::testing::TempDir dir;
  fenlei::testing::write_text_file(dir.file("dict.txt"), "北京 10 ns\n大学 abc n\n");
  SegmenterOptions o;
  o.use_cache = false;
  o.dict_path = dir.file("dict.txt");
  auto seg = Segmenter::load(o);
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(seg.status().message().find("dict.txt:2"), std::string::npos) << seg.status().message();

  fenlei::testing::write_text_file(dir.file("dict.txt"), "北京\n");
  seg = Segmenter::load(o);
  ASSERT_FALSE(seg.ok());
  EXPECT_NE(seg.status().message().find("dict.txt:1"), std::string::npos);

  o.dict_path = dir.file("nope.txt");
  seg = Segmenter::load(o);
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.status().code(), StatusCode::kNotFound);
  EXPECT_NE(seg.status().message().find("nope.txt"), std::string::npos);
}

TEST(MainDict, TinyCustomDictionary) {
  fenlei::testing::TempDir dir;
  // CRLF endings, a duplicate (counts twice in total, last frequency wins).
  fenlei::testing::write_text_file(dir.file("dict.txt"),
                                   "北京 10 ns\r\n大学 20 n\r\n北京大学 5 nt\r\n北京 12 ns\r\n");
  SegmenterOptions o;
  o.use_cache = false;
  o.dict_path = dir.file("dict.txt");
  auto seg = load_with(o);
  ASSERT_TRUE(seg);
  EXPECT_EQ(seg->total_freq(), 47);
  EXPECT_EQ(seg->num_keys(), 6u);  // 北 北京 大 大学 北京大 北京大学
  EXPECT_EQ(join(seg->cut("北京大学", CutMode::kFull)), "北京/北京大学/大学");
  // log(12/47)+log(20/47) > log(5/47): the route takes 北京/大学.
  EXPECT_EQ(join(seg->cut("北京大学", CutMode::kDefault, false)), "北京/大学");
}

}  // namespace
}  // namespace fenlei::seg
