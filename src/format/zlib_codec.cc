#include "format/zlib_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace fenlei::format {

namespace {
// zlib counts in uInt (32 bits); feed it bounded slices so multi-GiB inputs stay correct.
constexpr size_t kMaxSlice = size_t{1} << 30;
constexpr size_t kOutChunk = size_t{1} << 16;
}  // namespace

std::string zlib_compress(std::string_view raw, int level) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  // deflateInit only fails for a bad level or no memory; a level is clamped, memory is fatal
  // anyway for a std::string-based writer.
  deflateInit(&zs, std::clamp(level, 1, 9));
  std::string out;
  out.reserve(static_cast<size_t>(deflateBound(&zs, raw.size())));
  size_t in_pos = 0;
  char buf[kOutChunk];
  int rc = Z_OK;
  do {
    if (zs.avail_in == 0 && in_pos < raw.size()) {
      const size_t n = std::min(kMaxSlice, raw.size() - in_pos);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    const int flush = in_pos == raw.size() ? Z_FINISH : Z_NO_FLUSH;
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = deflate(&zs, flush);
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (rc != Z_STREAM_END && rc != Z_STREAM_ERROR);
  deflateEnd(&zs);
  return out;
}

StatusOr<std::string> zlib_inflate(std::string_view stored, uint64_t raw_size,
                                   const std::string& context) {
  if (raw_size / kMaxInflateRatio > stored.size()) {
    return data_loss_error(context + ": declares " + std::to_string(raw_size) +
                           " uncompressed bytes from only " + std::to_string(stored.size()) +
                           " compressed bytes, more than zlib can produce; the file is corrupt");
  }
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit(&zs) != Z_OK) return internal_error(context + ": inflateInit failed");

  std::string out;
  // Reserve for the common case (a few times the input) but never trust raw_size alone.
  out.reserve(static_cast<size_t>(std::min<uint64_t>(raw_size, stored.size() * 8 + 4096)));
  size_t in_pos = 0;
  char buf[kOutChunk];
  int rc = Z_OK;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < stored.size()) {
      const size_t n = std::min(kMaxSlice, stored.size() - in_pos);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stored.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof(buf) - zs.avail_out;
    if (produced > raw_size - out.size()) {
      inflateEnd(&zs);
      return data_loss_error(context + ": zlib data inflates to more than the declared " +
                             std::to_string(raw_size) + " bytes; the file is corrupt");
    }
    out.append(buf, produced);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_pos == stored.size()) {
      inflateEnd(&zs);
      return data_loss_error(context + ": zlib data ends early; the file is corrupt");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      const std::string why = zs.msg ? zs.msg : ("zlib error " + std::to_string(rc));
      inflateEnd(&zs);
      return data_loss_error(context + ": bad zlib data (" + why + "); the file is corrupt");
    }
  }
  const bool trailing = zs.avail_in != 0 || in_pos != stored.size();
  inflateEnd(&zs);
  if (trailing) return data_loss_error(context + ": bytes after the end of the zlib data");
  if (out.size() != raw_size) {
    return data_loss_error(context + ": zlib data inflates to " + std::to_string(out.size()) +
                           " bytes but the section table declares " + std::to_string(raw_size));
  }
  return out;
}

}  // namespace fenlei::format
