#include "server/batcher.h"

#include <algorithm>
#include <exception>

#include "server/json_codec.h"

namespace fenlei::server {

using Clock = std::chrono::steady_clock;

StatusOr<std::vector<Prediction>> BatchJob::wait_until(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!done_cv_.wait_until(lock, deadline, [&] { return done_; }) || finished_at_ > deadline) {
    abandoned_.store(true);
    return deadline_exceeded_error("");
  }
  return std::move(result_);
}

void BatchJob::finish(StatusOr<std::vector<Prediction>> result) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    result_ = std::move(result);
    done_ = true;
    finished_at_ = Clock::now();
  }
  done_cv_.notify_one();
}

Batcher::Batcher(BatcherOptions options, Metrics* metrics)
    : options_(options), metrics_(metrics) {
  const int n = std::max(1, options_.threads);
  workers_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Batcher::~Batcher() { shutdown(); }

StatusOr<std::shared_ptr<BatchJob>> Batcher::submit(ModelSlot* slot, std::vector<std::string> texts,
                                                    const PredictOptions& options) {
  auto job = std::make_shared<BatchJob>(slot, std::move(texts), options);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return unavailable_error("the server is shutting down");
    if (options_.caller_runs && options_.max_queue_delay_us <= 0 && queue_.empty() &&
        running_ < std::max(1, options_.threads)) {
      ++running_;
      lock.unlock();
      Batch batch{job};
      const size_t instances = job->texts_.size();
      run_batch(batch, instances);
      lock.lock();
      --running_;
      const bool more = !queue_.empty();
      lock.unlock();
      if (more) idle_cv_.notify_one();  // work queued while this slot was taken
      return job;
    }
    if (queue_.size() >= options_.max_queue_size) {
      return resource_exhausted_error("the request queue is full (" +
                                      std::to_string(options_.max_queue_size) +
                                      " requests waiting); retry later or add capacity");
    }
    queue_.push_back(job);
    queue_depth_.store(queue_.size(), std::memory_order_relaxed);
  }
  // A worker that is filling a batch gets first pick; otherwise wake an idle one.
  collector_cv_.notify_one();
  idle_cv_.notify_one();
  return job;
}

void Batcher::shutdown() {
  std::deque<std::shared_ptr<BatchJob>> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    left.swap(queue_);
    queue_depth_.store(0);
  }
  idle_cv_.notify_all();
  collector_cv_.notify_all();
  for (auto& job : left) job->finish(unavailable_error("the server is shutting down"));
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  workers_.clear();
}

void Batcher::take_matching(Batch& batch, size_t& instances) {
  ModelSlot* slot = batch.front()->slot_;
  for (auto it = queue_.begin(); it != queue_.end();) {
    BatchJob& job = **it;
    if (job.abandoned_.load()) {
      it = queue_.erase(it);
      continue;
    }
    if (job.slot_ != slot) {
      ++it;
      continue;
    }
    if (instances + job.texts_.size() > options_.max_batch_size) break;
    instances += job.texts_.size();
    batch.push_back(std::move(*it));
    it = queue_.erase(it);
  }
  queue_depth_.store(queue_.size(), std::memory_order_relaxed);
}

void Batcher::worker_loop() {
  const auto delay = std::chrono::microseconds(std::max<int64_t>(0, options_.max_queue_delay_us));
  Batch batch;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    idle_cv_.wait(lock, [&] {
      return stopping_ ||
             (!collecting_ && !queue_.empty() && running_ < std::max(1, options_.threads));
    });
    if (stopping_) return;
    ++running_;

    batch.clear();
    std::shared_ptr<BatchJob> first = std::move(queue_.front());
    queue_.pop_front();
    queue_depth_.store(queue_.size(), std::memory_order_relaxed);
    if (first->abandoned_.load()) {
      --running_;
      continue;
    }
    size_t instances = first->texts_.size();
    batch.push_back(std::move(first));
    take_matching(batch, instances);

    if (delay.count() > 0 && instances < options_.max_batch_size) {
      // Only one worker fills a batch at a time, so waiting requests join it rather than being
      // picked up one by one by idle workers.
      collecting_ = true;
      const auto deadline = Clock::now() + delay;
      while (!stopping_ && instances < options_.max_batch_size &&
             collector_cv_.wait_until(lock, deadline) != std::cv_status::timeout) {
        take_matching(batch, instances);
      }
      take_matching(batch, instances);
      collecting_ = false;
    }
    if (!queue_.empty()) idle_cv_.notify_one();

    lock.unlock();
    run_batch(batch, instances);
    batch.clear();  // release the jobs (and their texts) before sleeping
    lock.lock();
    --running_;
  }
}

namespace {

StatusOr<std::vector<Prediction>> safe_predict(const Predictor& predictor,
                                               const std::vector<std::string>& texts,
                                               const PredictOptions& options) {
  try {
    return predictor.predict(texts, options);
  } catch (const std::exception& e) {
    return internal_error(std::string("prediction failed: ") + e.what());
  }
}

}  // namespace

void Batcher::run_batch(Batch& batch, size_t instances) {
  // Taken once per batch: a reload that lands now affects the next batch, never this one.
  std::shared_ptr<const Predictor> predictor = batch.front()->slot_->current();
  if (metrics_) metrics_->record_batch(instances);

  if (batch.size() == 1) {
    BatchJob& job = *batch.front();
    auto result = safe_predict(*predictor, job.texts_, job.options_);
    if (result.ok()) {
      for (auto& p : *result) trim_prediction(p, job.options_);
    }
    job.finish(std::move(result));
    return;
  }

  // One run with the largest k and no threshold serves every job; each is trimmed afterwards.
  PredictOptions options;
  options.k = 1;
  options.threshold = 0.0f;
  std::vector<std::string> texts;
  texts.reserve(instances);
  for (const auto& job : batch) {
    options.k = std::max(options.k, job->options_.k);
    for (auto& text : job->texts_) texts.push_back(std::move(text));
  }
  auto result = safe_predict(*predictor, texts, options);
  if (!result.ok() || result->size() != texts.size()) {
    // One bad request must not fail its neighbours: give the texts back and run each job alone.
    size_t offset = 0;
    for (auto& job : batch) {
      for (auto& text : job->texts_) text = std::move(texts[offset++]);
      auto single = safe_predict(*predictor, job->texts_, job->options_);
      if (single.ok()) {
        for (auto& p : *single) trim_prediction(p, job->options_);
      }
      job->finish(std::move(single));
    }
    return;
  }
  size_t offset = 0;
  for (auto& job : batch) {
    const size_t n = job->texts_.size();
    std::vector<Prediction> mine;
    mine.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      Prediction& p = (*result)[offset + i];
      trim_prediction(p, job->options_);
      mine.push_back(std::move(p));
    }
    offset += n;
    job->finish(std::move(mine));
  }
}

}  // namespace fenlei::server
