// A small leveled logger that writes to stderr. Results go to stdout; logs and progress never do.
// Thread-safe: each message is written with a single write under a mutex.
#pragma once

#include <sstream>
#include <string>

namespace fenlei {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kQuiet = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
// Parses "debug", "info", "warning", "error" or "quiet"; returns false for anything else.
bool parse_log_level(const std::string& name, LogLevel* level);

void log_message(LogLevel level, const std::string& message);

namespace detail {
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine() { log_message(level_, stream_.str()); }
  template <typename T>
  LogLine& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
}  // namespace detail

}  // namespace fenlei

// FENLEI_LOG(kInfo) << "loaded " << n << " words";  (the stream is skipped below the level)
#define FENLEI_LOG(level)                                         \
  if (::fenlei::LogLevel::level < ::fenlei::log_level()) {        \
  } else                                                          \
    ::fenlei::detail::LogLine(::fenlei::LogLevel::level)
