// Segmenter benchmark: single-thread default-mode throughput over all shared train texts, cold
// dictionary load (from dict.txt), warm load (from the binary cache) and resident memory.
// Usage: bench_segment [--repeat N] [--mode default|full|search] [--no-hmm]
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fenlei/segmenter.h"

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this process: on a shared machine it is a steadier measure than wall time.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// "VmRSS" / "VmHWM" from /proc/self/status, in MiB.
double proc_status_mib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atof(line.c_str() + std::strlen(field) + 1) / 1024.0;
  }
  return -1;
}

// Every text (after the first tab, header skipped) of shared/data/*/train.tsv, sorted by dataset.
std::vector<std::string> load_texts() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(FENLEI_SHARED_DIR "/data")) {
    const auto p = e.path() / "train.tsv";
    if (std::filesystem::exists(p)) files.push_back(p.string());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> texts;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (header) {
        header = false;
        continue;
      }
      const size_t tab = line.find('\t');
      if (tab != std::string::npos) texts.push_back(line.substr(tab + 1));
    }
  }
  return texts;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 3;
  fenlei::seg::CutMode mode = fenlei::seg::CutMode::kDefault;
  bool hmm = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else if (a == "--mode" && i + 1 < argc) {
      const std::string m = argv[++i];
      mode = m == "full" ? fenlei::seg::CutMode::kFull
                         : m == "search" ? fenlei::seg::CutMode::kSearch : fenlei::seg::CutMode::kDefault;
    } else if (a == "--no-hmm") hmm = false;
  }
  const double rss_start = proc_status_mib("VmRSS:");
  const std::string cache_dir =
      (std::filesystem::temp_directory_path() / ("fenlei_bench_cache_" + std::to_string(::getpid())))
          .string();

  fenlei::seg::SegmenterOptions options;
  options.cache_dir = cache_dir;
  // The cold build runs in a child process so that its temporary memory (hash maps of the
  // whole dictionary) does not pollute this process's RSS figures.
  double cold_s = -1;
  double cold_hwm = -1;
  int fds[2];
  if (::pipe(fds) != 0) return 1;
  const pid_t child = ::fork();
  if (child == 0) {
    auto t = Clock::now();
    auto cold = fenlei::seg::Segmenter::load(options);  // builds from dict.txt, writes the cache
    double result[2] = {cold.ok() ? seconds_since(t) : -1.0, proc_status_mib("VmHWM:")};
    if (::write(fds[1], result, sizeof(result)) != sizeof(result)) _exit(1);
    _exit(cold.ok() ? 0 : 1);
  }
  double result[2] = {-1, -1};
  if (::read(fds[0], result, sizeof(result)) != sizeof(result) || result[0] < 0) {
    std::fprintf(stderr, "cold load failed (is python3-jieba installed?)\n");
    return 1;
  }
  cold_s = result[0];
  cold_hwm = result[1];
  auto t0 = Clock::now();
  auto warm = fenlei::seg::Segmenter::load(options);
  const double warm_s = seconds_since(t0);
  ::waitpid(child, nullptr, 0);
  std::filesystem::remove_all(cache_dir);
  if (!warm.ok() || !(*warm)->loaded_from_cache()) {
    std::fprintf(stderr, "cache load failed\n");
    return 1;
  }
  const double rss_loaded = proc_status_mib("VmRSS:");
  const auto& seg = **warm;

  const std::vector<std::string> texts = load_texts();
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  const double rss_texts = proc_status_mib("VmRSS:");

  std::vector<std::string_view> tokens;
  double best = 1e30, best_cpu = 1e30;
  size_t n_tokens = 0;
  for (int r = 0; r < repeat; ++r) {
    n_tokens = 0;
    t0 = Clock::now();
    const double c0 = cpu_seconds();
    for (const auto& t : texts) {
      seg.cut(t, mode, hmm, &tokens);
      n_tokens += tokens.size();
    }
    benchmark::DoNotOptimize(n_tokens);
    best = std::min(best, seconds_since(t0));
    best_cpu = std::min(best_cpu, cpu_seconds() - c0);
  }
  std::printf("texts            %zu (%.2f MB)\n", texts.size(), bytes / 1e6);
  std::printf("tokens           %zu\n", n_tokens);
  std::printf("throughput       %.2f MB/s (wall, best of %d, single thread)\n", bytes / 1e6 / best, repeat);
  std::printf("throughput cpu   %.2f MB/s (process CPU time, best of %d)\n", bytes / 1e6 / best_cpu, repeat);
  std::printf("load cold        %.1f ms (dict.txt + HMM tables, cache written)\n", cold_s * 1e3);
  std::printf("load from cache  %.1f ms\n", warm_s * 1e3);
  std::printf("dictionary RSS   %.1f MiB (VmRSS after cache load %.1f - at start %.1f)\n",
              rss_loaded - rss_start, rss_loaded, rss_start);
  std::printf("VmRSS            %.1f MiB (with the %.1f MB of texts loaded: %.1f)\n",
              proc_status_mib("VmRSS:"), bytes / 1e6, rss_texts);
  std::printf("VmHWM            %.1f MiB (this process); cold build peak %.1f MiB\n",
              proc_status_mib("VmHWM:"), cold_hwm);
  return 0;
}
