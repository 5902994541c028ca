#include "base/io_hooks.h"

#include <unistd.h>

#include <atomic>

namespace fenlei::io_hooks {
namespace {
std::atomic<ReadFn> g_read{nullptr};
std::atomic<WriteFn> g_write{nullptr};
}  // namespace

void set_read_for_testing(ReadFn fn) { g_read.store(fn); }
void set_write_for_testing(WriteFn fn) { g_write.store(fn); }

ssize_t read(int fd, void* buf, size_t count) {
  const ReadFn fn = g_read.load(std::memory_order_relaxed);
  return fn ? fn(fd, buf, count) : ::read(fd, buf, count);
}

ssize_t write(int fd, const void* buf, size_t count) {
  const WriteFn fn = g_write.load(std::memory_order_relaxed);
  return fn ? fn(fd, buf, count) : ::write(fd, buf, count);
}

}  // namespace fenlei::io_hooks
