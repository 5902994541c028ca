#include "format/binary_io.h"

#include <cassert>

namespace fenlei::format {

void BinaryWriter::put_u16(uint16_t v) {
  for (int i = 0; i < 2; ++i) put_u8(static_cast<uint8_t>(v >> (8 * i)));
}

void BinaryWriter::put_u32(uint32_t v) {
  for (int i = 0; i < 4; ++i) put_u8(static_cast<uint8_t>(v >> (8 * i)));
}

void BinaryWriter::put_u64(uint64_t v) {
  for (int i = 0; i < 8; ++i) put_u8(static_cast<uint8_t>(v >> (8 * i)));
}

void BinaryWriter::put_varint(uint64_t v) {
  while (v >= 0x80) {
    put_u8(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  put_u8(static_cast<uint8_t>(v));
}

void BinaryWriter::put_string_u32(std::string_view s) {
  assert(s.size() <= UINT32_MAX);
  put_u32(static_cast<uint32_t>(s.size()));
  put_bytes(s);
}

void BinaryWriter::put_string_varint(std::string_view s) {
  put_varint(s.size());
  put_bytes(s);
}

void BinaryWriter::pad_to(size_t alignment) {
  assert(alignment != 0 && (alignment & (alignment - 1)) == 0);
  const size_t rem = buf_.size() & (alignment - 1);
  if (rem != 0) buf_.append(alignment - rem, '\0');
}

void BinaryWriter::patch_u32(size_t offset, uint32_t v) {
  assert(offset + 4 <= buf_.size());
  for (int i = 0; i < 4; ++i)
    buf_[offset + i] = static_cast<char>(static_cast<uint8_t>(v >> (8 * i)));
}

void BinaryWriter::patch_u64(size_t offset, uint64_t v) {
  assert(offset + 8 <= buf_.size());
  for (int i = 0; i < 8; ++i)
    buf_[offset + i] = static_cast<char>(static_cast<uint8_t>(v >> (8 * i)));
}

Status BinaryReader::truncated(uint64_t needed, const char* field) const {
  return data_loss_error(context_ + ": truncated: " + field + " needs " + std::to_string(needed) +
                         " bytes at offset " + std::to_string(file_offset()) + " but only " +
                         std::to_string(remaining()) + " remain");
}

Status BinaryReader::corrupt(const std::string& message) const {
  return data_loss_error(context_ + ": " + message + " (at offset " +
                         std::to_string(file_offset()) + ")");
}

namespace {
// Reads N little-endian bytes into an unsigned integer, independent of host byte order.
template <typename T>
T load_le(const char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
}  // namespace

StatusOr<uint8_t> BinaryReader::read_u8(const char* field) {
  if (remaining() < 1) return truncated(1, field);
  return static_cast<uint8_t>(data_[pos_++]);
}

StatusOr<uint16_t> BinaryReader::read_u16(const char* field) {
  if (remaining() < 2) return truncated(2, field);
  const uint16_t v = load_le<uint16_t>(data_.data() + pos_);
  pos_ += 2;
  return v;
}

StatusOr<uint32_t> BinaryReader::read_u32(const char* field) {
  if (remaining() < 4) return truncated(4, field);
  const uint32_t v = load_le<uint32_t>(data_.data() + pos_);
  pos_ += 4;
  return v;
}

StatusOr<uint64_t> BinaryReader::read_u64(const char* field) {
  if (remaining() < 8) return truncated(8, field);
  const uint64_t v = load_le<uint64_t>(data_.data() + pos_);
  pos_ += 8;
  return v;
}

StatusOr<int64_t> BinaryReader::read_i64(const char* field) {
  FENLEI_ASSIGN_OR_RETURN(uint64_t v, read_u64(field));
  return static_cast<int64_t>(v);
}

StatusOr<uint64_t> BinaryReader::read_varint(const char* field) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (remaining() < 1) return truncated(1, field);
    const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
    const uint64_t bits = byte & 0x7f;
    // The 10th byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && bits > 1) return corrupt(std::string(field) + ": varint overflows 64 bits");
    v |= bits << shift;
    if ((byte & 0x80) == 0) return v;
  }
  return corrupt(std::string(field) + ": varint longer than 10 bytes");
}

StatusOr<std::string_view> BinaryReader::read_bytes(uint64_t n, const char* field) {
  if (n > remaining()) return truncated(n, field);
  std::string_view out = data_.substr(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return out;
}

StatusOr<std::string_view> BinaryReader::read_string_u32(const char* field) {
  FENLEI_ASSIGN_OR_RETURN(uint32_t n, read_u32(field));
  return read_bytes(n, field);
}

StatusOr<std::string_view> BinaryReader::read_string_varint(const char* field) {
  FENLEI_ASSIGN_OR_RETURN(uint64_t n, read_varint(field));
  return read_bytes(n, field);
}

Status BinaryReader::skip(uint64_t n, const char* field) {
  if (n > remaining()) return truncated(n, field);
  pos_ += static_cast<size_t>(n);
  return Status();
}

}  // namespace fenlei::format
