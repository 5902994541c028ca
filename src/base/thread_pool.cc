#include "base/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace fenlei {

namespace {

// Tells the core that this is a spin-wait (on x86 it yields the pipeline to the sibling
// hyperthread and saves power).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

}  // namespace

template <typename Ready>
bool ThreadPool::spin_until(Ready ready) const {
  if (spin_microseconds_ <= 0) return false;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(spin_microseconds_);
  for (;;) {
    // Check the clock once every 64 polls: reading it costs more than a poll.
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

ThreadPool::ThreadPool(int num_threads, int spin_microseconds)
    : num_threads_(num_threads < 1 ? 1 : num_threads),
      spin_microseconds_(spin_microseconds < 0 ? 0 : spin_microseconds) {
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : workers_) t.join();
}

int ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::run_tasks() {
  for (;;) {
    int task;
    const std::function<void(int)>* fn;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_task_ >= num_tasks_) return;
      task = next_task_++;
      fn = fn_;
    }
    try {
      (*fn)(task);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++finished_tasks_;
    }
    work_done_.notify_all();
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    spin_until([&] { return stop_.load(std::memory_order_acquire) ||
                            generation_.load(std::memory_order_acquire) != seen; });
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      ++active_workers_;
    }
    run_tasks();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --active_workers_;
    }
    work_done_.notify_all();
  }
}

void ThreadPool::run(int num_tasks, const std::function<void(int)>& fn) {
  if (num_tasks <= 0) return;
  if (workers_.empty() || num_tasks == 1) {
    for (int i = 0; i < num_tasks; ++i) fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = &fn;
    num_tasks_ = num_tasks;
    next_task_ = 0;
    finished_tasks_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  work_ready_.notify_all();
  run_tasks();
  spin_until([&] { return finished_tasks_.load(std::memory_order_acquire) == num_tasks &&
                          active_workers_.load(std::memory_order_acquire) == 0; });
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // Wait for all tasks and for every worker to leave run_tasks(), so that fn_ (a reference
    // to the caller's function) is never used after run() returns.
    work_done_.wait(lock, [&] { return finished_tasks_ == num_tasks_ && active_workers_ == 0; });
    fn_ = nullptr;
    num_tasks_ = 0;
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace fenlei
