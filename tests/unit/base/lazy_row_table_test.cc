// LazyRowTable: rows start empty, missing ids come back sorted and distinct, a published row is
// read from the table afterwards, an unpublished one from the caller's own copy, the first
// publisher of a row wins, fill_first stops at its limit, and concurrent publishers leave every
// row whole.
#include "base/lazy_row_table.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace fenlei {
namespace {

// Row `id` as every caller computes it: id*10 + column.
std::vector<float> rows_for(const std::vector<int32_t>& ids, size_t cols, float offset = 0) {
  std::vector<float> out;
  for (int32_t id : ids)
    for (size_t c = 0; c < cols; ++c) out.push_back(float(id) * 10 + float(c) + offset);
  return out;
}

TEST(LazyRowTable, AllocatesEmptyRowsAndRefusesZeroSizes) {
  LazyRowTable<float> t;
  ASSERT_TRUE(t.allocate(100, 3));
  EXPECT_EQ(t.rows(), 100);
  EXPECT_EQ(t.row_elems(), 3u);
  EXPECT_EQ(t.bytes(), 100u * 3u * sizeof(float));
  EXPECT_EQ(t.rows_filled(), 0u);
  EXPECT_FALSE(t.allocate(10, 3));  // once only
  LazyRowTable<int16_t> empty;
  EXPECT_FALSE(empty.allocate(0, 8));
  EXPECT_FALSE(empty.allocate(8, 0));
}

TEST(LazyRowTable, FindsMissingIdsSortedAndDistinct) {
  LazyRowTable<int16_t> t;
  ASSERT_TRUE(t.allocate(20, 2));
  const std::vector<int32_t> ids = {7, 3, 7, 19, 3, 5};
  std::vector<int32_t> missing;
  t.find_missing(ids.data(), ids.size(), /*also=*/0, &missing);
  EXPECT_EQ(missing, (std::vector<int32_t>{0, 3, 5, 7, 19}));
  const std::vector<int16_t> own = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  t.publish(missing, own.data());
  EXPECT_EQ(t.rows_filled(), 5u);
  EXPECT_TRUE(t.ready(19));
  EXPECT_FALSE(t.ready(4));
  t.find_missing(ids.data(), ids.size(), 0, &missing);
  EXPECT_TRUE(missing.empty());
  const std::vector<int32_t> more = {4, 5};
  t.find_missing(more.data(), more.size(), /*also=*/-1, &missing);
  EXPECT_EQ(missing, (std::vector<int32_t>{4}));
  EXPECT_EQ(t.row_or_own(7, missing, nullptr)[0], 7);  // the table's copy of row 7
  EXPECT_EQ(t.row_or_own(7, missing, nullptr)[1], 8);
}

TEST(LazyRowTable, UnpublishedRowsAreReadFromTheCallersCopyAndTheFirstPublisherWins) {
  LazyRowTable<float> t;
  ASSERT_TRUE(t.allocate(10, 4));
  const std::vector<int32_t> missing = {2, 6};
  const std::vector<float> mine = rows_for(missing, 4);
  EXPECT_EQ(t.row_or_own(6, missing, mine.data()), mine.data() + 4);  // own copy, not the table
  t.publish(missing, mine.data());
  const std::vector<float> later = rows_for(missing, 4, /*offset=*/0.5f);
  t.publish(missing, later.data());  // already ready: ignored
  const float* row6 = t.row_or_own(6, missing, later.data());
  EXPECT_NE(row6, later.data() + 4);
  EXPECT_EQ(std::vector<float>(row6, row6 + 4), (std::vector<float>{60, 61, 62, 63}));
}

TEST(LazyRowTable, FillFirstComputesOnlyTheFirstRowsInSlices) {
  LazyRowTable<float> t;
  ASSERT_TRUE(t.allocate(1000, 2));
  std::vector<int32_t> missing = {5};
  const std::vector<float> five = rows_for(missing, 2);
  t.publish(missing, five.data());
  std::vector<size_t> slice_sizes;
  t.fill_first(300, 128, &missing, [&](const std::vector<int32_t>& ids) {
    slice_sizes.push_back(ids.size());
    const std::vector<float> own = rows_for(ids, 2);
    t.publish(ids, own.data());
  });
  EXPECT_EQ(slice_sizes, (std::vector<size_t>{127, 128, 44}));  // row 5 was ready already
  EXPECT_EQ(t.rows_filled(), 300u);
  EXPECT_TRUE(t.ready(299));
  EXPECT_FALSE(t.ready(300));
  EXPECT_EQ(t.row_or_own(299, {}, nullptr)[1], 2991.0f);
  slice_sizes.clear();
  t.fill_first(5000, 512, &missing, [&](const std::vector<int32_t>& ids) {
    slice_sizes.push_back(ids.size());
    const std::vector<float> own = rows_for(ids, 2);
    t.publish(ids, own.data());
  });
  EXPECT_EQ(slice_sizes, (std::vector<size_t>{212, 488}));  // clamped to the table's rows
  EXPECT_EQ(t.rows_filled(), 1000u);
}

TEST(LazyRowTable, ConcurrentPublishersLeaveEveryRowWhole) {
  constexpr int32_t kRows = 2000;
  constexpr size_t kCols = 64;
  LazyRowTable<float> t;
  ASSERT_TRUE(t.allocate(kRows, kCols));
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&t, k] {
      std::vector<int32_t> ids;
      for (int32_t id = 0; id < kRows; ++id) ids.push_back((id * 7 + k * 13) % kRows);
      std::vector<int32_t> missing;
      t.find_missing(ids.data(), ids.size(), -1, &missing);
      const std::vector<float> own = rows_for(missing, kCols);
      t.publish(missing, own.data());
      for (int32_t id : missing)
        EXPECT_EQ(t.row_or_own(id, missing, own.data())[kCols - 1],
                  float(id) * 10 + float(kCols - 1));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.rows_filled(), size_t(kRows));
  for (int32_t id = 0; id < kRows; ++id) {
    const float* row = t.row_or_own(id, {}, nullptr);
    for (size_t c = 0; c < kCols; ++c) ASSERT_EQ(row[c], float(id) * 10 + float(c)) << id;
  }
}

}  // namespace
}  // namespace fenlei
