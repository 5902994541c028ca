// ThreadPool with and without spinning: every task runs exactly once per run(), results written
// by the workers are visible to the caller when run() returns, exceptions reach the caller, and
// a spinning pool shuts down cleanly (its workers may be polling, not sleeping).
#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace fenlei {
namespace {

class ThreadPoolSpin : public ::testing::TestWithParam<int> {};

TEST_P(ThreadPoolSpin, EveryTaskRunsOnceAndItsWritesAreVisible) {
  ThreadPool pool(3, GetParam());
  std::vector<int> slots(97);
  for (int round = 1; round <= 300; ++round) {
    // Task sizes vary so that workers finish at different times, some while others spin.
    pool.run(static_cast<int>(slots.size()), [&](int i) {
      volatile int sink = 0;
      for (int k = 0; k < (i % 7) * 50; ++k) sink = sink + k;
      slots[i] += round;
    });
    const int expected = round * (round + 1) / 2;
    for (size_t i = 0; i < slots.size(); ++i) ASSERT_EQ(slots[i], expected) << "task " << i;
  }
}

TEST_P(ThreadPoolSpin, RunsSeparatedByPauses) {
  ThreadPool pool(2, GetParam());
  std::atomic<int> total{0};
  for (int round = 0; round < 5; ++round) {
    pool.run(8, [&](int) { total.fetch_add(1); });
    // Longer than a 100 µs spin: those workers must wake from the condition variable.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(total.load(), 40);
}

TEST_P(ThreadPoolSpin, ExceptionReachesTheCallerAndThePoolStaysUsable) {
  ThreadPool pool(2, GetParam());
  EXPECT_THROW(pool.run(16,
                        [](int i) {
                          if (i == 5) throw std::runtime_error("task 5");
                        }),
               std::runtime_error);
  std::atomic<int> ran{0};
  pool.run(16, [&](int) { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 16);
}

TEST_P(ThreadPoolSpin, DestroyedRightAfterARunWhileWorkersSpin) {
  for (int i = 0; i < 20; ++i) {
    ThreadPool pool(3, GetParam());
    std::atomic<int> ran{0};
    pool.run(6, [&](int) { ran.fetch_add(1); });
    EXPECT_EQ(ran.load(), 6);
  }  // ~ThreadPool must join workers that are still polling
}

INSTANTIATE_TEST_SUITE_P(SleepAndSpin, ThreadPoolSpin, ::testing::Values(0, 100, 100000),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "spin" + std::to_string(p.param) + "us";
                         });

}  // namespace
}  // namespace fenlei
