// CRC-32 (IEEE 802.3, the zlib polynomial) used to checksum model files and dictionary caches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fenlei {

// Continues a running CRC: crc32(b, crc32(a)) == crc32(a + b). Start with crc = 0.
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);
inline uint32_t crc32_str(std::string_view s, uint32_t crc = 0) {
  return crc32(s.data(), s.size(), crc);
}

// The CRC of a + b from crc32(a), crc32(b) and b's size, without reading either (zlib's
// crc32_combine): lets a reader verify per-part checksums and a whole-file checksum in one pass.
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t size_b);

// zlib's table-driven crc32 alone (the fast path is checked against it).
uint32_t crc32_zlib_for_tests(const void* data, size_t size, uint32_t crc = 0);

}  // namespace fenlei
