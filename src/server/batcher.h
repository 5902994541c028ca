// Dynamic batching: requests for the same model that are waiting at the same time are run as one
// predict() call of up to max_batch_size texts, by a fixed pool of worker threads behind a bounded
// queue (CTranslate2's JobQueue idea, but a full queue is refused at once instead of blocking).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fenlei/classifier.h"
#include "fenlei/status.h"
#include "server/metrics.h"
#include "server/model_registry.h"

namespace fenlei::server {

struct BatcherOptions {
  int threads = 2;                 // worker threads running predict()
  size_t max_batch_size = 32;      // texts per predict() call (one larger request runs alone)
  int64_t max_queue_delay_us = 0;  // how long a batch may wait to fill; 0 = never wait
  size_t max_queue_size = 1024;    // requests waiting; more are refused with RESOURCE_EXHAUSTED
  // When the queue is empty and fewer than `threads` batches are running, submit() runs the
  // request on the calling (connection) thread instead of handing it to a worker and waiting:
  // two thread wake-ups fewer per request, which is most of the latency of a small model when
  // the server is not saturated. Under load requests still queue and are batched by the workers.
  // Ignored when max_queue_delay_us > 0 (then the caller asked for batches to fill).
  bool caller_runs = true;
};

// One request's texts and, once done, its predictions. Shared by the submitter and the worker.
class BatchJob {
 public:
  BatchJob(ModelSlot* slot, std::vector<std::string> texts, PredictOptions options)
      : slot_(slot), texts_(std::move(texts)), options_(options) {}

  // Waits until the job is done or `deadline`; on timeout the job is abandoned (a worker that has
  // not started it skips it) and DEADLINE_EXCEEDED is returned. A job that finished after the
  // deadline (one run on its caller's thread cannot be interrupted) is DEADLINE_EXCEEDED too, so
  // the answer does not depend on which thread ran it.
  StatusOr<std::vector<Prediction>> wait_until(std::chrono::steady_clock::time_point deadline);

 private:
  friend class Batcher;
  void finish(StatusOr<std::vector<Prediction>> result);

  ModelSlot* slot_;
  std::vector<std::string> texts_;
  PredictOptions options_;
  std::atomic<bool> abandoned_{false};
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::chrono::steady_clock::time_point finished_at_;
  StatusOr<std::vector<Prediction>> result_{internal_error("not run")};
};

// Thread-safe. Workers start in the constructor and stop in shutdown() or the destructor.
class Batcher {
 public:
  Batcher(BatcherOptions options, Metrics* metrics);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues a job, or runs it at once on the calling thread (see BatcherOptions::caller_runs; the
  // job is then done when submit returns). RESOURCE_EXHAUSTED when max_queue_size requests are already waiting,
  // UNAVAILABLE after shutdown().
  StatusOr<std::shared_ptr<BatchJob>> submit(ModelSlot* slot, std::vector<std::string> texts,
                                             const PredictOptions& options);

  // Fails every queued job with UNAVAILABLE, lets running batches finish, joins the workers.
  void shutdown();

  size_t queue_depth() const { return queue_depth_.load(std::memory_order_relaxed); }
  const BatcherOptions& options() const { return options_; }

 private:
  using Batch = std::vector<std::shared_ptr<BatchJob>>;
  void worker_loop();
  // Moves jobs for `slot` from the queue into `batch` while they fit (FIFO order kept).
  void take_matching(Batch& batch, size_t& instances);
  void run_batch(Batch& batch, size_t instances);

  const BatcherOptions options_;
  Metrics* metrics_;
  std::mutex mutex_;
  std::condition_variable idle_cv_;       // workers waiting for work
  std::condition_variable collector_cv_;  // the one worker filling a batch within the delay
  std::deque<std::shared_ptr<BatchJob>> queue_;
  bool collecting_ = false;
  bool stopping_ = false;
  // Batches running now, on workers or callers; at most options_.threads, so callers running
  // their own requests never add to the CPU oversubscription the worker count was chosen to avoid.
  int running_ = 0;
  std::atomic<size_t> queue_depth_{0};
  std::vector<std::thread> workers_;
};

}  // namespace fenlei::server
