// write_directory_atomic: creates, fills an empty directory, refuses a non-empty one unless
// told to replace it (and even then only a flat one), and never leaves its temporary sibling.
#include "hf/output_directory.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace fenlei::hf {
namespace {

namespace fs = std::filesystem;
using fenlei::testing::read_text_file;
using fenlei::testing::TempDir;
using fenlei::testing::write_text_file;

const std::map<std::string, std::string> kFiles = {{"config.json", "{}\n"}, {"vocab.txt", "a\nb\n"}};

// Names in `parent`, sorted (to see that no DIR.tmp-* is left behind).
std::vector<std::string> listing(const std::string& parent) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(parent)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(OutputDirectory, CreatesTheDirectoryWithItsFilesAndNothingElse) {
  TempDir tmp;
  const std::string dir = tmp.file("out");
  ASSERT_TRUE(write_directory_atomic(dir + "/", kFiles, false).ok());
  EXPECT_EQ(listing(tmp.path()), std::vector<std::string>{"out"});
  EXPECT_EQ(listing(dir), (std::vector<std::string>{"config.json", "vocab.txt"}));
  EXPECT_EQ(read_text_file(dir + "/vocab.txt"), "a\nb\n");
  const auto perms = fs::status(dir).permissions();
  EXPECT_NE(perms & fs::perms::owner_all, fs::perms::none);
}

TEST(OutputDirectory, FillsAnEmptyDirectory) {
  TempDir tmp;
  const std::string dir = tmp.file("out");
  fs::create_directory(dir);
  ASSERT_TRUE(write_directory_atomic(dir, kFiles, false).ok());
  EXPECT_EQ(listing(dir), (std::vector<std::string>{"config.json", "vocab.txt"}));
  EXPECT_EQ(listing(tmp.path()), std::vector<std::string>{"out"});
}

TEST(OutputDirectory, RefusesANonEmptyDirectoryUnlessReplacing) {
  TempDir tmp;
  const std::string dir = tmp.file("out");
  fs::create_directory(dir);
  write_text_file(dir + "/old.bin", "old");
  Status s = write_directory_atomic(dir, kFiles, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("--force"), std::string::npos) << s.message();
  EXPECT_EQ(listing(dir), std::vector<std::string>{"old.bin"});
  EXPECT_EQ(listing(tmp.path()), std::vector<std::string>{"out"});

  ASSERT_TRUE(write_directory_atomic(dir, kFiles, true).ok());
  EXPECT_EQ(listing(dir), (std::vector<std::string>{"config.json", "vocab.txt"}));
  EXPECT_EQ(listing(tmp.path()), std::vector<std::string>{"out"});
}

TEST(OutputDirectory, NeverReplacesADirectoryWithSubdirectoriesOrAFile) {
  TempDir tmp;
  const std::string dir = tmp.file("home");
  fs::create_directories(dir + "/projects");
  write_text_file(dir + "/notes.txt", "keep");
  Status s = write_directory_atomic(dir, kFiles, true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("projects"), std::string::npos) << s.message();
  EXPECT_EQ(read_text_file(dir + "/notes.txt"), "keep");

  write_text_file(tmp.file("plain"), "x");
  EXPECT_FALSE(write_directory_atomic(tmp.file("plain"), kFiles, true).ok());
  EXPECT_EQ(read_text_file(tmp.file("plain")), "x");
  EXPECT_EQ(listing(tmp.path()), (std::vector<std::string>{"home", "plain"}));
}

TEST(OutputDirectory, RefusesFileNamesWithSlashesBeforeWritingAnything) {
  TempDir tmp;
  EXPECT_FALSE(write_directory_atomic(tmp.file("out"), {{"../escape", "x"}}, false).ok());
  EXPECT_FALSE(write_directory_atomic(tmp.file("out"), {{"", "x"}}, false).ok());
  EXPECT_TRUE(listing(tmp.path()).empty());
  EXPECT_FALSE(write_directory_atomic("", kFiles, false).ok());
}

TEST(OutputDirectory, AMissingParentIsAnErrorAndLeavesNothing) {
  TempDir tmp;
  Status s = write_directory_atomic(tmp.file("no/such/out"), kFiles, false);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(listing(tmp.path()).empty());
}

}  // namespace
}  // namespace fenlei::hf
