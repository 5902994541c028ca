// write_file_atomic, read_file and check_output_path under attack and under failure: planted
// symlinks, a full disk, a read that fails part way, outputs that are inputs.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/io_hooks.h"
#include "base/file_util.h"
#include "test_util.h"

namespace fenlei {
namespace {

using ::testing::HasSubstr;
using testing::read_text_file;
using testing::TempDir;
using testing::write_text_file;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Restores the real read/write at the end of a test, even when it fails.
struct HookGuard {
  ~HookGuard() {
    io_hooks::set_read_for_testing(nullptr);
    io_hooks::set_write_for_testing(nullptr);
  }
};

TEST(WriteFileAtomicTest, ReplacesTheFileAndLeavesNoTemporaryFile) {
  TempDir dir;
  const std::string path = dir.file("m.fenlei");
  write_text_file(path, "old");
  ASSERT_TRUE(write_file_atomic(path, "new contents").ok());
  EXPECT_EQ(read_text_file(path), "new contents");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"m.fenlei"});
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(WriteFileAtomicTest, StreamedPiecesAreWrittenInOrderAndAFailureLeavesTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("m.fenlei");
  ASSERT_TRUE(write_file_atomic_streamed(path, [](const ByteSink& sink) {
                for (const char* piece : {"one ", "", "two ", "three"}) {
                  FENLEI_RETURN_IF_ERROR(sink(piece));
                }
                return Status();
              }).ok());
  EXPECT_EQ(read_text_file(path), "one two three");
  const Status failed = write_file_atomic_streamed(path, [](const ByteSink& sink) {
    FENLEI_RETURN_IF_ERROR(sink("partial"));
    return data_loss_error("the producer gave up");
  });
  EXPECT_EQ(failed.code(), StatusCode::kDataLoss);
  EXPECT_EQ(read_text_file(path), "one two three");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"m.fenlei"});
}

TEST(WriteFileAtomicTest, APlantedSymlinkAtTheOldTemporaryNameIsNotFollowed) {
  // The temporary name used to be PATH.tmp.PID: anyone who could write the directory could plant
  // a link there and have fenlei overwrite the file it points to.
  TempDir dir;
  const std::string victim = dir.file("victim.txt");
  write_text_file(victim, "precious");
  const std::string path = dir.file("m.fenlei");
  ASSERT_EQ(::symlink(victim.c_str(), (path + ".tmp." + std::to_string(::getpid())).c_str()), 0);
  ASSERT_TRUE(write_file_atomic(path, "model bytes").ok());
  EXPECT_EQ(read_text_file(victim), "precious");
  EXPECT_EQ(read_text_file(path), "model bytes");
}

TEST(WriteFileAtomicTest, ASymlinkOutputIsReplacedNotWrittenThrough) {
  TempDir dir;
  const std::string target = dir.file("target.txt");
  write_text_file(target, "target");
  const std::string link = dir.file("link.fenlei");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ASSERT_TRUE(write_file_atomic(link, "new").ok());
  EXPECT_EQ(read_text_file(target), "target");
  EXPECT_EQ(read_text_file(link), "new");
}

ssize_t write_then_enospc(int fd, const void* buf, size_t count) {
  // The first 100 bytes go through, then the disk is full.
  static thread_local size_t written = 0;
  if (count == 0) return 0;
  if (written >= 100) {
    written = 0;
    errno = ENOSPC;
    return -1;
  }
  const size_t n = std::min(count, 100 - written);
  const ssize_t rc = ::write(fd, buf, n);
  if (rc > 0) written += static_cast<size_t>(rc);
  return rc;
}

TEST(WriteFileAtomicTest, AFullDiskLeavesTheOldFileAndNoTemporaryFile) {
  HookGuard guard;
  TempDir dir;
  const std::string path = dir.file("m.fenlei");
  write_text_file(path, "old model");
  io_hooks::set_write_for_testing(write_then_enospc);
  const Status s = write_file_atomic(path, std::string(10000, 'x'));
  io_hooks::set_write_for_testing(nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("No space left on device"));
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_EQ(read_text_file(path), "old model");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"m.fenlei"});
}

TEST(WriteFileAtomicTest, AMissingDirectoryIsAClearError) {
  TempDir dir;
  const Status s = write_file_atomic(dir.file("no/such/dir/m.fenlei"), "x");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("directory exists"));
}

ssize_t read_then_eio(int fd, void* buf, size_t count) {
  static thread_local int calls = 0;
  if (++calls >= 2) {
    calls = 0;
    errno = EIO;
    return -1;
  }
  return ::read(fd, buf, std::min<size_t>(count, 10));
}

TEST(ReadFileTest, AReadThatFailsPartWayIsAnErrorNotAShortFile) {
  HookGuard guard;
  TempDir dir;
  const std::string path = dir.file("train.tsv");
  write_text_file(path, std::string(1000, 'a'));
  io_hooks::set_read_for_testing(read_then_eio);
  const auto r = read_file(path);
  io_hooks::set_read_for_testing(nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("read error after 10 bytes"));
}

TEST(ReadFileTest, ReadsWholeFilesAndReportsMissingOnes) {
  TempDir dir;
  write_text_file(dir.file("a"), std::string(200000, 'z'));
  const auto r = read_file(dir.file("a"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 200000u);
  EXPECT_EQ(read_file(dir.file("none")).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(read_file(dir.path()).ok());
}

TEST(CheckOutputPathTest, RefusesAnOutputThatIsAnInputByAnyName) {
  TempDir dir;
  const std::string data = dir.file("d.tsv");
  write_text_file(data, "label\ttext\n");
  ASSERT_EQ(::symlink(data.c_str(), dir.file("link.tsv").c_str()), 0);
  ASSERT_EQ(::link(data.c_str(), dir.file("hard.tsv").c_str()), 0);

  Status s = check_output_path(data, {"", data});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("would destroy the input"));
  // Through a symlink given as the input, a symlink given as the output, a hard link and a
  // different spelling of the same path.
  EXPECT_FALSE(check_output_path(data, {dir.file("link.tsv")}).ok());
  EXPECT_FALSE(check_output_path(dir.file("link.tsv"), {data}).ok());
  EXPECT_FALSE(check_output_path(dir.file("hard.tsv"), {data}).ok());
  EXPECT_FALSE(check_output_path(dir.path() + "/./d.tsv", {data}).ok());
  EXPECT_TRUE(check_output_path(dir.file("m.fenlei"), {data}).ok());
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"d.tsv", "hard.tsv", "link.tsv"}));
}

TEST(CheckOutputPathTest, RefusesDirectoriesAndUnwritablePlaces) {
  TempDir dir;
  Status s = check_output_path(dir.path(), {});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("is a directory"));
  s = check_output_path(dir.file("missing/m.fenlei"), {}, "-o");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("does not exist"));
  EXPECT_THAT(s.message(), HasSubstr("-o"));
  // /proc is never writable, even for root.
  EXPECT_FALSE(check_output_path("/proc/fenlei-test.fenlei", {}).ok());
  // Renaming a model over /dev/null would replace the device with a file (as root).
  s = check_output_path("/dev/null", {});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("not a regular file"));
  EXPECT_TRUE(check_output_path("/dev/null", {}, "--log", /*atomic=*/false).ok());
}

}  // namespace
}  // namespace fenlei
