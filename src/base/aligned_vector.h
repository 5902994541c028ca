// std::vector storage aligned to a cache line (64 bytes): the packed weight panels
// (transformer/packed_*.h) are read 64 bytes at a time, and a vector from the default allocator
// is only 16-byte aligned (glibc: an mmap'd block starts 16 bytes into its page), so every such
// load straddled two cache lines.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace fenlei {

inline constexpr std::size_t kCacheLine = 64;

template <typename T>
struct CacheAlignedAllocator {
  using value_type = T;
  CacheAlignedAllocator() = default;
  template <typename U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kCacheLine}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kCacheLine}); }
  template <typename U>
  bool operator==(const CacheAlignedAllocator<U>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const CacheAlignedAllocator<U>&) const noexcept { return false; }
};

// A vector whose data() is 64-byte aligned (when not empty).
template <typename T>
using CacheAlignedVector = std::vector<T, CacheAlignedAllocator<T>>;

}  // namespace fenlei
