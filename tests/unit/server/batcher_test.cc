// Where a request runs: on its caller's thread when a worker slot is free (no hand-off), on a
// worker when every slot is busy (then batched), never on more than `threads` at once.
#include "server/batcher.h"

#include <gtest/gtest.h>

#include <future>

#include "fake_predictor.h"

namespace fenlei::server {
namespace {

using Clock = std::chrono::steady_clock;
using testing::FakeControl;

class BatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = Registry::create({{"reviews", "good.fenlei"}}, testing::fake_loader(control_));
    ASSERT_TRUE(registry.ok()) << registry.status().message();
    registry_ = std::move(registry).value();
    control_->clear();  // forget the warm-up prediction of the load
  }
  ModelSlot* slot() { return registry_->find("reviews"); }
  StatusOr<std::vector<Prediction>> run(Batcher& batcher, std::string text) {
    auto job = batcher.submit(slot(), {std::move(text)}, PredictOptions{});
    if (!job.ok()) return job.status();
    return (*job)->wait_until(Clock::now() + std::chrono::seconds(10));
  }

  std::shared_ptr<FakeControl> control_ = std::make_shared<FakeControl>();
  std::unique_ptr<Registry> registry_;
};

TEST_F(BatcherTest, IdleServerRunsTheRequestOnTheCallersThread) {
  BatcherOptions options;
  options.threads = 2;
  Batcher batcher(options, nullptr);
  auto job = batcher.submit(slot(), {"很好"}, PredictOptions{});
  ASSERT_TRUE(job.ok());
  // Already done when submit returns: a deadline in the past still gets the result.
  auto result = (*job)->wait_until(Clock::now());
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ((*result)[0].label, "pos");
  ASSERT_EQ(control_->threads_used.size(), 1u);
  EXPECT_EQ(control_->threads_used[0], std::this_thread::get_id());
}

TEST_F(BatcherTest, WithCallerRunsOffEveryRequestGoesToAWorker) {
  BatcherOptions options;
  options.caller_runs = false;
  Batcher batcher(options, nullptr);
  ASSERT_TRUE(run(batcher, "很好").ok());
  ASSERT_EQ(control_->threads_used.size(), 1u);
  EXPECT_NE(control_->threads_used[0], std::this_thread::get_id());
}

TEST_F(BatcherTest, QueueDelayMeansBatchesAreFilledByWorkers) {
  BatcherOptions options;
  options.max_queue_delay_us = 1000;
  Batcher batcher(options, nullptr);
  ASSERT_TRUE(run(batcher, "很好").ok());
  ASSERT_EQ(control_->threads_used.size(), 1u);
  EXPECT_NE(control_->threads_used[0], std::this_thread::get_id());
}

TEST_F(BatcherTest, BusySlotsQueueAndBatchTheRest) {
  BatcherOptions options;
  options.threads = 1;
  options.max_batch_size = 16;
  Batcher batcher(options, nullptr);
  control_->delay_ms = 300;  // long enough for three threads to queue on a busy machine
  // The first request takes the only slot on its own thread...
  auto first = std::async(std::launch::async, [&] { return run(batcher, "很好"); });
  const auto until = Clock::now() + std::chrono::seconds(5);
  while (control_->batches().empty() && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(control_->batches().size(), 1u);
  // ...so these three queue, and the worker runs them as one batch once the slot is free.
  std::vector<std::future<StatusOr<std::vector<Prediction>>>> rest;
  for (int i = 0; i < 3; ++i) {
    rest.push_back(std::async(std::launch::async, [&] { return run(batcher, "太差"); }));
  }
  while (batcher.queue_depth() < 3 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(first.get().ok());
  for (auto& f : rest) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ((*r)[0].label, "neg");
  }
  EXPECT_EQ(control_->batches(), (std::vector<size_t>{1, 3}));
  const auto threads = control_->threads_used;
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_NE(threads[0], threads[1]);  // the caller's thread, then a worker
}

TEST_F(BatcherTest, AfterShutdownSubmitIsRefused) {
  Batcher batcher(BatcherOptions{}, nullptr);
  batcher.shutdown();
  auto job = batcher.submit(slot(), {"很好"}, PredictOptions{});
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(control_->batches().empty());
}

}  // namespace
}  // namespace fenlei::server
