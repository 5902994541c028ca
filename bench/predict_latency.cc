// Inference latency and throughput through the library API, segmentation included: loads a
// model once, then (1) classifies texts one at a time and reports p50/p99 latency, and
// (2) classifies them in batches (after one untimed warm-up batch per thread, as the PyTorch
// references do) and reports texts per second. Prints one JSON object.
// Single-text latency is measured twice: the first pass over the texts (a float cnn computes
// the per-token conv projections of every token it has not seen yet: first_pass_*), then the
// steady state a long-running process reaches (single_*). FENLEI_CONV_KERNEL=gemm measures
// the im2col + sgemm path instead, FENLEI_RECURRENT_KERNEL=gemm a recurrent model without its
// per-token input-gate cache. Every figure also comes as CPU time (*_cpu_*: the thread's for one
// text, the process's for the batches), the steadier measure on a shared machine.
//   predict_latency MODEL TEXTS.tsv [--batch 256] [--limit N] [--threads T] [--batch-rounds R]
//                   [--skip-single 1]
// --batch-rounds R classifies the texts R times in batches (a steadier batch figure, and the
// batch path alone in a profile with --skip-single 1, which leaves out the one-text passes).
// TEXTS.tsv: fenlei's TSV (label<TAB>text with a header); only the text column is used.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <time.h>

#include <nlohmann/json.hpp>

#include "fenlei/classifier.h"
#include "data/dataset.h"

using Clock = std::chrono::steady_clock;

static double cpu_us(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) * 1e-3;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL TEXTS.tsv [--batch N] [--limit N] [--threads T]\n", argv[0]);
    return 2;
  }
  size_t batch = 256, limit = 0;
  int threads = 1, batch_rounds = 1;
  bool skip_single = false;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--limit")) limit = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--batch-rounds")) batch_rounds = std::max(1, std::stoi(argv[i + 1]));
    if (!std::strcmp(argv[i], "--skip-single")) skip_single = std::stoi(argv[i + 1]) != 0;
  }
  const auto load_start = Clock::now();
  auto model = fenlei::Classifier::load(argv[1]);
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().message().c_str());
    return 1;
  }
  // What Classifier::warm_up costs (on a second instance, so the passes below start cold).
  double warm_up_ms = 0;
  {
    auto other = fenlei::Classifier::load(argv[1]);
    if (!other.ok()) return 1;
    const auto s = Clock::now();
    (*other)->warm_up();
    warm_up_ms = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
  }
  auto data = fenlei::data::read_dataset(argv[2], {});
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().message().c_str());
    return 1;
  }
  std::vector<std::string> texts;
  for (auto& e : data->examples) texts.push_back(std::move(e.text));
  if (limit > 0 && texts.size() > limit) texts.resize(limit);
  fenlei::PredictOptions options;

  // Warm-up: first-touch of weights and thread-local workspaces (20 texts, so that the first
  // pass below still sees almost every token for the first time).
  for (size_t i = 0; i < std::min<size_t>(20, texts.size()); ++i) (void)(*model)->predict_one(texts[i], options);

  auto time_pass = [&](std::vector<double>& us, std::vector<double>& cpu) {
    us.clear();
    cpu.clear();
    us.reserve(texts.size());
    cpu.reserve(texts.size());
    for (const auto& t : texts) {
      const double c = cpu_us(CLOCK_THREAD_CPUTIME_ID);
      const auto s = Clock::now();
      auto p = (*model)->predict_one(t, options);
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
      cpu.push_back(cpu_us(CLOCK_THREAD_CPUTIME_ID) - c);
      if (!p.ok()) return false;
    }
    std::sort(us.begin(), us.end());
    std::sort(cpu.begin(), cpu.end());
    return true;
  };
  auto pct = [](const std::vector<double>& us, double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))];
  };
  std::vector<double> first, steady, first_cpu, steady_cpu;
  if (skip_single) {
    first = steady = first_cpu = steady_cpu = {0.0};
  } else if (!time_pass(first, first_cpu) || !time_pass(steady, steady_cpu)) {
    return 1;
  }

  // Batch throughput: T threads, each classifying its share in batches. Each thread first
  // classifies its first batch untimed, as the PyTorch references do (`model(xt[:256])` before
  // their timed loop): that batch pays one-off costs (first touch of the thread's batch
  // workspace: ~70 MB of page faults for 256 recurrent texts) that a long-running process pays
  // once; batch_rounds x texts are then timed from the moment every thread has warmed up.
  std::mutex gate_mutex;
  std::condition_variable gate;
  int warmed = 0;
  bool go = false;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const size_t first = static_cast<size_t>(t) * batch;
      if (first < texts.size()) {
        std::vector<std::string> chunk(
            texts.begin() + static_cast<long>(first),
            texts.begin() + static_cast<long>(std::min(texts.size(), first + batch)));
        (void)(*model)->predict(chunk, options);
      }
      std::unique_lock<std::mutex> lock(gate_mutex);
      ++warmed;
      gate.notify_all();
      gate.wait(lock, [&] { return go; });
      lock.unlock();
      for (int round = 0; round < batch_rounds; ++round)
        for (size_t b = static_cast<size_t>(t) * batch; b < texts.size(); b += batch * static_cast<size_t>(threads)) {
          std::vector<std::string> chunk(texts.begin() + static_cast<long>(b),
                                         texts.begin() + static_cast<long>(std::min(texts.size(), b + batch)));
          (void)(*model)->predict(chunk, options);
        }
    });
  }
  double cpu_start = 0;
  Clock::time_point start;
  {
    std::unique_lock<std::mutex> lock(gate_mutex);
    gate.wait(lock, [&] { return warmed == threads; });
    cpu_start = cpu_us(CLOCK_PROCESS_CPUTIME_ID);
    start = Clock::now();
    go = true;
  }
  gate.notify_all();
  for (auto& th : pool) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu_secs = (cpu_us(CLOCK_PROCESS_CPUTIME_ID) - cpu_start) * 1e-6;
  nlohmann::json j = {{"system", "fenlei"},
                      {"model", (*model)->info().architecture},
                      {"quantized", (*model)->info().quantized},
                      {"texts", texts.size()},
                      {"load_ms", load_ms},
                      {"warm_up_ms", warm_up_ms},
                      {"first_pass_p50_us", pct(first, 0.50)},
                      {"first_pass_p99_us", pct(first, 0.99)},
                      {"single_p50_us", pct(steady, 0.50)},
                      {"single_p99_us", pct(steady, 0.99)},
                      {"batch", batch},
                      {"threads", threads},
                      {"first_pass_cpu_p50_us", pct(first_cpu, 0.50)},
                      {"first_pass_cpu_p99_us", pct(first_cpu, 0.99)},
                      {"single_cpu_p50_us", pct(steady_cpu, 0.50)},
                      {"single_cpu_p99_us", pct(steady_cpu, 0.99)},
                      {"batch_rounds", batch_rounds},
                      {"batch_texts_per_cpu_second", static_cast<double>(texts.size()) * batch_rounds / cpu_secs},
                      {"batch_texts_per_second", static_cast<double>(texts.size()) * batch_rounds / secs}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
