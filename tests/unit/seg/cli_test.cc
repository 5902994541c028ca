// `fenlei segment` end to end (skipped when the fenlei binary has not been built).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_util.h"

namespace fenlei::seg {
namespace {

// One dictionary cache shared by every run in this file keeps each run at a few ms of loading.
fenlei::testing::CommandResult run_fenlei(const std::string& args, const std::string& stdin_text = "") {
  static fenlei::testing::TempDir cache;
  return fenlei::testing::run_command("FENLEI_CACHE_DIR='" + cache.path() + "' '" +
                                          fenlei::testing::fenlei_binary() + "' " + args,
                                      stdin_text);
}

class SegmentCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(fenlei::testing::fenlei_binary())) {
      GTEST_SKIP() << "fenlei binary not built";
    }
  }
  std::string flags() const { return "segment "; }
};

TEST_F(SegmentCli, DefaultJsonAndEmptyLines) {
  auto r = run_fenlei(flags(), "我来到北京清华大学\n\n他来到了网易杭研大厦");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "我 / 来到 / 北京 / 清华大学\n\n他 / 来到 / 了 / 网易 / 杭研 / 大厦\n");
  r = run_fenlei(flags() + "--json --mode full", "好好好 a\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[\"好好\",\"好好\",\"\",\" \",\"\",\"a\"]\n");
  r = run_fenlei(flags() + "--no-hmm --delimiter '|'", "网易杭研\n");
  EXPECT_EQ(r.out, "网易|杭|研\n");
}

TEST_F(SegmentCli, InvalidUtf8NamesLineAndByte) {
  auto r = run_fenlei(flags(), "好\nab\xFF\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("<stdin>:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("byte 2"), std::string::npos) << r.err;
  r = run_fenlei(flags() + "--replace-invalid-utf8", "ab\xFF\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "ab / \xEF\xBF\xBD\n");
}

TEST_F(SegmentCli, UserDictAndUsageErrors) {
  fenlei::testing::TempDir dir;
  fenlei::testing::write_text_file(dir.file("u.txt"), "杭研大厦 100\n");
  auto r = run_fenlei(flags() + "--user-dict " + dir.file("u.txt"), "网易杭研大厦\n");
  EXPECT_EQ(r.out, "网易 / 杭研大厦\n");
  r = run_fenlei(flags() + "--mode bogus", "");
  EXPECT_EQ(r.exit_code, 2);
  r = run_fenlei(flags() + dir.file("missing.txt"), "");
  EXPECT_EQ(r.exit_code, 1);
  r = run_fenlei("segment --no-cache --no-hmm", "网易杭研\n");
  EXPECT_EQ(r.out, "网易 / 杭 / 研\n");
  r = run_fenlei("segment --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--replace-invalid-utf8"), std::string::npos);
}

}  // namespace
}  // namespace fenlei::seg
