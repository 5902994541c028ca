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

}  // namespace fenlei
