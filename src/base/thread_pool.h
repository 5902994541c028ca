// ThreadPool: a fixed set of worker threads that run one parallel-for at a time. The trainer uses
// it to split every batch over threads without creating threads per batch. run() blocks until
// every task has finished; task i always runs exactly once, so callers that write results into
// slot i and combine the slots in index order get results independent of scheduling.
// Not re-entrant: call run() from one thread at a time.
//
// With `spin_microseconds` > 0, an idle worker polls for the next run() for that long before it
// sleeps on the condition variable, and run() polls for the workers' last tasks before it sleeps:
// a wake-up through the kernel costs tens of microseconds, as much as a small parallel-for's
// whole work, and one text's encoder runs dozens of them back to back (intra-op threads). The
// price is a core kept busy for that long after the last run(); the trainer's pool does not spin.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fenlei {

class ThreadPool {
 public:
  // num_threads <= 1 runs every task on the caller's thread.
  explicit ThreadPool(int num_threads, int spin_microseconds = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return num_threads_; }

  // Runs fn(0) .. fn(num_tasks - 1); the caller's thread runs tasks too. Rethrows the first
  // exception a task threw, after all tasks have finished.
  void run(int num_tasks, const std::function<void(int)>& fn);

  // Number of hardware threads (at least 1).
  static int hardware_threads();

 private:
  void worker_loop();
  void run_tasks();
  // Polls `ready` for up to spin_microseconds_; true if it became true meanwhile.
  template <typename Ready>
  bool spin_until(Ready ready) const;

  int num_threads_;
  int spin_microseconds_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  const std::function<void(int)>* fn_ = nullptr;
  int num_tasks_ = 0;
  int next_task_ = 0;
  // Written under mutex_; atomic so that the spinning threads may read them without it.
  std::atomic<int> finished_tasks_{0};
  std::atomic<int> active_workers_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};

}  // namespace fenlei
