#include "base/crc32.h"

#include <zlib.h>

namespace fenlei {

// zlib's crc32 is table-driven and SIMD-accelerated on modern builds; no reason to write our own.
uint32_t crc32(const void* data, size_t size, uint32_t crc) {
  const auto* p = static_cast<const Bytef*>(data);
  uLong c = crc;
  while (size > 0) {
    const uInt chunk = size > (1u << 30) ? (1u << 30) : static_cast<uInt>(size);
    c = ::crc32(c, p, chunk);
    p += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(c);
}

}  // namespace fenlei
