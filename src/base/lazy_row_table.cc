#include "base/lazy_row_table.h"

#include <sys/mman.h>

namespace fenlei {

void* map_zeroed_pages(size_t bytes) {
  // MAP_NORESERVE: untouched pages of an anonymous mapping cost no memory, so a table sized
  // for the whole vocabulary is resident only where rows were written.
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return mem == MAP_FAILED ? nullptr : mem;
}

void unmap_pages(void* addr, size_t bytes) {
  if (addr != nullptr) munmap(addr, bytes);
}

}  // namespace fenlei
