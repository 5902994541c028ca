// Little-endian field-by-field encoding for the model file. BinaryWriter appends fields;
// BinaryReader bounds-checks every read and names the field and byte offset when input runs out
// (CTranslate2's consume<T> idea), so no parser ever reads past its buffer or trusts a length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fenlei/status.h"

namespace fenlei::format {

// Appends to an owned byte string. Never fails. Not thread-safe.
class BinaryWriter {
 public:
  void put_u8(uint8_t v) { buf_.push_back(static_cast<char>(v)); }
  void put_u16(uint16_t v);
  void put_u32(uint32_t v);
  void put_u64(uint64_t v);
  void put_i64(int64_t v) { put_u64(static_cast<uint64_t>(v)); }
  // Unsigned LEB128: 7 bits per byte, high bit = more follows (1 byte for values < 128).
  void put_varint(uint64_t v);
  void put_bytes(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }
  // u32 length, then the bytes.
  void put_string_u32(std::string_view s);
  // varint length, then the bytes (the compact form used for token lists).
  void put_string_varint(std::string_view s);
  // Appends zero bytes until size() is a multiple of `alignment` (a power of two).
  void pad_to(size_t alignment);
  // Overwrites 4 / 8 bytes already written at `offset`.
  void patch_u32(size_t offset, uint32_t v);
  void patch_u64(size_t offset, uint64_t v);

  size_t size() const { return buf_.size(); }
  const std::string& data() const { return buf_; }
  std::string take() { return std::move(buf_); }
  void reserve(size_t n) { buf_.reserve(n); }

 private:
  std::string buf_;
};

// Reads from a borrowed buffer. Every failure is DATA_LOSS with a message
// "<context>: truncated: <field> needs N bytes at offset P but only R remain". `base_offset` is
// added to reported offsets so that errors inside a section point at the file byte.
// Not thread-safe; the buffer must outlive the reader.
class BinaryReader {
 public:
  BinaryReader(std::string_view data, std::string context, uint64_t base_offset = 0)
      : data_(data), context_(std::move(context)), base_offset_(base_offset) {}
  // The reader borrows its buffer: refuse temporaries, which would dangle.
  BinaryReader(std::string&&, std::string, uint64_t = 0) = delete;

  StatusOr<uint8_t> read_u8(const char* field);
  StatusOr<uint16_t> read_u16(const char* field);
  StatusOr<uint32_t> read_u32(const char* field);
  StatusOr<uint64_t> read_u64(const char* field);
  StatusOr<int64_t> read_i64(const char* field);
  StatusOr<uint64_t> read_varint(const char* field);  // at most 10 bytes, no 64-bit overflow
  // A view of the next n bytes (no copy); fails without allocating when n > remaining().
  StatusOr<std::string_view> read_bytes(uint64_t n, const char* field);
  StatusOr<std::string_view> read_string_u32(const char* field);
  StatusOr<std::string_view> read_string_varint(const char* field);
  Status skip(uint64_t n, const char* field);

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  uint64_t file_offset() const { return base_offset_ + pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  const std::string& context() const { return context_; }

  // DATA_LOSS "<context>: <message> (at offset P)" for structural errors found by the caller.
  Status corrupt(const std::string& message) const;

 private:
  Status truncated(uint64_t needed, const char* field) const;

  std::string_view data_;
  std::string context_;
  uint64_t base_offset_;
  size_t pos_ = 0;
};

}  // namespace fenlei::format
