// A progress bar for long work (training epochs, dataset reading), drawn on stderr. On a terminal
// it redraws one line at most 10 times a second; when stderr is a file or pipe it prints a plain
// line every 30 seconds so logs stay readable. Silent below LogLevel::kInfo. Not thread-safe: call
// update() from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace fenlei {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  ~ProgressBar();

  // Sets the number of finished units and an optional suffix such as "loss 0.31 acc 0.88".
  void update(int64_t done, const std::string& suffix = "");
  // Clears the line (terminal) so that a summary line can follow.
  void finish();

 private:
  void draw(bool force);

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  std::string suffix_;
  bool tty_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace fenlei
