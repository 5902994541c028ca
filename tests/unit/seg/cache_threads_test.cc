// The binary dictionary cache (round trip, corruption, invalidation), thread safety and hostile
// input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "text/utf8.h"
#include "seg/dict_cache.h"
#include "seg_test_util.h"
#include "test_util.h"

namespace fenlei::seg {
namespace {

using testing::default_segmenter;
using testing::join;

const char* kSamples[] = {"我来到北京清华大学", "他来到了网易杭研大厦", "小明硕士毕业于中国科学院计算所",
                          "iPhone13跑分3.5万，价格 ¥5999！", "南京市长江大桥", "😀𠮷野家 a-b-c\r\n"};

std::vector<std::string> cache_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".bin") out.push_back(e.path().string());
  }
  return out;
}

void expect_same_cuts(const Segmenter& a, const Segmenter& b) {
  for (const char* s : kSamples) {
    for (CutMode m : {CutMode::kDefault, CutMode::kFull, CutMode::kSearch}) {
      EXPECT_EQ(a.cut(s, m, true), b.cut(s, m, true)) << s;
      EXPECT_EQ(a.cut(s, m, false), b.cut(s, m, false)) << s;
    }
  }
}

TEST(Cache, RoundTripCorruptionAndInvalidation) {
  fenlei::testing::TempDir dir;
  fenlei::testing::write_text_file(dir.file("user.txt"), "杭研 5\n");
  SegmenterOptions o;
  o.cache_dir = dir.file("cache");
  o.user_dict_paths = {dir.file("user.txt")};

  auto first = Segmenter::load(o);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_FALSE((*first)->loaded_from_cache());
  ASSERT_EQ(cache_files(o.cache_dir).size(), 1u);

  auto second = Segmenter::load(o);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE((*second)->loaded_from_cache());
  EXPECT_EQ((*second)->total_freq(), (*first)->total_freq());
  EXPECT_EQ((*second)->num_keys(), (*first)->num_keys());
  expect_same_cuts(**first, **second);

  // Flip one byte in the middle: detected by the checksum and silently rebuilt.
  const std::string path = cache_files(o.cache_dir)[0];
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(f.tellg());
    f.seekp(size / 2);
    char c = 0;
    f.seekg(size / 2);
    f.get(c);
    f.seekp(size / 2);
    f.put(static_cast<char>(c ^ 0x5A));
  }
  auto third = Segmenter::load(o);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE((*third)->loaded_from_cache());
  expect_same_cuts(**first, **third);
  auto fourth = Segmenter::load(o);
  ASSERT_TRUE(fourth.ok());
  EXPECT_TRUE((*fourth)->loaded_from_cache());  // the rebuilt cache is good again

  // Truncated cache: rebuilt too.
  std::filesystem::resize_file(path, 100);
  auto fifth = Segmenter::load(o);
  ASSERT_TRUE(fifth.ok());
  EXPECT_FALSE((*fifth)->loaded_from_cache());

  // Changing a source file invalidates the cache (a new key, so a fresh build).
  fenlei::testing::write_text_file(dir.file("user.txt"), "杭研 0\n");
  auto sixth = Segmenter::load(o);
  ASSERT_TRUE(sixth.ok());
  EXPECT_FALSE((*sixth)->loaded_from_cache());
  EXPECT_EQ(join((*sixth)->cut("网易杭研大厦")), "网易/杭/研/大厦");
}

TEST(Cache, UnwritableDirectoryFallsBackToNoCache) {
  SegmenterOptions o;
  o.cache_dir = "/proc/fenlei-no-such-dir";
  o.user_dict_texts = {"杭研 5\n"};
  auto seg = Segmenter::load(o);
  ASSERT_TRUE(seg.ok()) << seg.status().to_string();
  EXPECT_FALSE((*seg)->loaded_from_cache());
}

TEST(Cache, AttachRejectsGarbage) {
  EXPECT_FALSE(detail::attach_model("").ok());
  EXPECT_FALSE(detail::attach_model(std::string(64, 'x')).ok());
  EXPECT_FALSE(detail::attach_model(std::string("FLSEGDC\0", 8) + std::string(200, '\0')).ok());
}

TEST(ThreadSafety, ConcurrentCutsAreIdentical) {
  const Segmenter& seg = default_segmenter();
  std::vector<std::vector<std::string>> want;
  for (const char* s : kSamples) want.push_back(seg.cut(s, CutMode::kSearch, true));
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string_view> tokens;
      for (int rep = 0; rep < 200; ++rep) {
        for (size_t i = 0; i < want.size(); ++i) {
          if (seg.cut(kSamples[i], CutMode::kSearch, true) != want[i]) ++failures[t];
          seg.cut(kSamples[i], CutMode::kDefault, rep % 2 == 0, &tokens);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

TEST(BadInput, NulEmojiPunctuationAndEmpty) {
  const Segmenter& seg = default_segmenter();
  EXPECT_TRUE(seg.cut("").empty());
  EXPECT_EQ(seg.cut("", CutMode::kFull).size(), 0u);
  const std::string nul("中\0文", 7);  // 3 + 1 + 3 bytes
  EXPECT_EQ(join(seg.cut(nul), "|"), std::string("中|\0|文", 9));
  EXPECT_EQ(join(seg.cut("！？。…"), "|"), "！|？|。|…");
  EXPECT_EQ(join(seg.cut("❤️👨‍👩‍👧"), "|"),
            "❤|\xEF\xB8\x8F|👨|\xE2\x80\x8D|👩|\xE2\x80\x8D|👧");
}

TEST(BadInput, InvalidBytesNeverCrash) {
  const Segmenter& seg = default_segmenter();
  const std::string bad = "\xFF\xFE中文\xE4\xB8\x80\xC0\xAF\xED\xA0\x80" "abc\xF4\x90\x80\x80\xE4";
  std::vector<std::string_view> tokens;
  for (CutMode m : {CutMode::kDefault, CutMode::kFull, CutMode::kSearch}) {
    for (bool hmm : {true, false}) {
      seg.cut(bad, m, hmm, &tokens);
      if (m == CutMode::kDefault) {
        std::string joined;
        for (auto t : tokens) joined += t;
        EXPECT_EQ(joined, bad);
      }
    }
  }
}

TEST(BadInput, MultiMegabyteLine) {
  const Segmenter& seg = default_segmenter();
  std::string text;
  while (text.size() < 4'000'000) text += "我来到北京清华大学，他来到了网易杭研大厦。iPhone13跑分3.5万";
  std::vector<std::string_view> tokens;
  seg.cut(text, CutMode::kDefault, true, &tokens);
  size_t total = 0;
  for (auto t : tokens) total += t.size();
  EXPECT_EQ(total, text.size());
  // One unbroken Han block of 1 MB of a single character (long HMM-free route).
  const std::string run(1'000'000, 'a');
  seg.cut(run, CutMode::kDefault, true, &tokens);
  ASSERT_EQ(tokens.size(), 1u);
  seg.cut(run, CutMode::kFull, true, &tokens);
  EXPECT_EQ(tokens.size(), 1u);
}

TEST(ReferencePath, FastNoHmmMatchesReference) {
  // The hash-map reference cutter (used by suggest_freq) must agree with the trie path.
  FreqDict dict;
  dict.add_word(U"北京", 10);
  dict.add_word(U"大学", 20);
  dict.add_word(U"北京大学", 5);
  const auto ref = reference_cut_no_hmm(dict, U"北京大学 abc3.5北京");
  std::vector<std::string> got;
  for (const auto& t : ref) got.push_back(utf8::from_u32(t));
  EXPECT_EQ(join(got), "北京/大学/ /abc3/./5/北京");
}

}  // namespace
}  // namespace fenlei::seg
