// Fault injection for tests: every read(2) and write(2) of read_file and write_file_atomic goes
// through these function pointers, so a test can make a write fail with ENOSPC or a read fail
// with EIO part way through a file. Production code never changes them.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace fenlei::io_hooks {

using ReadFn = ssize_t (*)(int fd, void* buf, size_t count);
using WriteFn = ssize_t (*)(int fd, const void* buf, size_t count);

// Replace the functions (nullptr restores ::read / ::write). Not for concurrent use with I/O.
void set_read_for_testing(ReadFn fn);
void set_write_for_testing(WriteFn fn);

ssize_t read(int fd, void* buf, size_t count);
ssize_t write(int fd, const void* buf, size_t count);

}  // namespace fenlei::io_hooks
