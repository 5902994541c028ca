#include "fenlei/log.h"

#include <unistd.h>

#include <atomic>
#include <mutex>

namespace fenlei {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mutex;

const char* prefix(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug: ";
    case LogLevel::kInfo: return "";
    case LogLevel::kWarning: return "warning: ";
    case LogLevel::kError: return "error: ";
    case LogLevel::kQuiet: return "";
  }
  return "";
}
}  // namespace

void set_log_level(LogLevel level) { g_level.store(level); }
LogLevel log_level() { return g_level.load(); }

bool parse_log_level(const std::string& name, LogLevel* level) {
  if (name == "debug") *level = LogLevel::kDebug;
  else if (name == "info") *level = LogLevel::kInfo;
  else if (name == "warning") *level = LogLevel::kWarning;
  else if (name == "error") *level = LogLevel::kError;
  else if (name == "quiet") *level = LogLevel::kQuiet;
  else return false;
  return true;
}

void log_message(LogLevel level, const std::string& message) {
  if (level < g_level.load()) return;
  std::string line = std::string(prefix(level)) + message + "\n";
  std::lock_guard<std::mutex> lock(g_mutex);
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(2, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace fenlei
