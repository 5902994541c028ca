#include "base/progress.h"

#include <unistd.h>

#include <cstdio>

#include "fenlei/log.h"

namespace fenlei {

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total > 0 ? total : 1),
      tty_(::isatty(2) != 0),
      enabled_(log_level() <= LogLevel::kInfo),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done, const std::string& suffix) {
  done_ = done;
  suffix_ = suffix;
  draw(false);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_ && tty_) std::fputs("\r\033[K", stderr), std::fflush(stderr);
}

void ProgressBar::draw(bool force) {
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  char line[512];
  if (tty_) {
    if (!force && done_ < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    std::snprintf(line, sizeof(line), "\r\033[K%s [%s] %lld/%lld %s ETA %.0fs", label_.c_str(),
                  bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
                  suffix_.c_str(), eta);
  } else {
    // Logs: a plain line every 30 s of long work; short work shows only its summary.
    if (!force && (done_ >= total_ || now - last_draw_ < std::chrono::seconds(30))) return;
    last_draw_ = now;
    std::snprintf(line, sizeof(line), "%s %3d%% %lld/%lld %s ETA %.0fs\n", label_.c_str(),
                  static_cast<int>(fraction * 100), static_cast<long long>(done_),
                  static_cast<long long>(total_), suffix_.c_str(), eta);
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
}

}  // namespace fenlei
