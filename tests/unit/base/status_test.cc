#include "fenlei/status.h"

#include <gtest/gtest.h>

#include "base/crc32.h"
#include "base/file_util.h"
#include "test_util.h"

namespace fenlei {
namespace {

StatusOr<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument_error("not positive: " + std::to_string(v));
  return v;
}

Status double_it(int v, int* out) {
  FENLEI_ASSIGN_OR_RETURN(int x, parse_positive(v));
  *out = 2 * x;
  return Status();
}

TEST(Status, PropagatesErrorsAndValues) {
  int out = 0;
  EXPECT_TRUE(double_it(4, &out).ok());
  EXPECT_EQ(out, 8);
  Status s = double_it(-1, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.to_string(), "INVALID_ARGUMENT: not positive: -1");
  EXPECT_EQ(s.with_context("flag --x").message(), "flag --x: not positive: -1");
}

TEST(Crc32, MatchesKnownVectorAndChains) {
  EXPECT_EQ(crc32_str("123456789"), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(crc32_str("6789", crc32_str("12345")), crc32_str("123456789"));
}

TEST(FileUtil, AtomicWriteReplacesAndLeavesNoTemp) {
  testing::TempDir dir;
  const std::string path = dir.file("x.bin");
  ASSERT_TRUE(write_file_atomic(path, "first").ok());
  ASSERT_TRUE(write_file_atomic(path, std::string("sec\0nd", 6)).ok());
  auto data = read_file(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, std::string("sec\0nd", 6));
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(FileUtil, ClearErrors) {
  EXPECT_EQ(read_file("/nonexistent/file").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(write_file_atomic("/nonexistent/dir/file", "x").ok());
}

}  // namespace
}  // namespace fenlei
