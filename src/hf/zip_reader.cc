#include "hf/zip_reader.h"

#include <cstdint>

namespace fenlei::hf {
namespace {

uint32_t le(std::string_view b, size_t pos, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[pos + i]);
  return v;
}

constexpr uint32_t kEndSig = 0x06054b50, kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr size_t kMaxEntries = 1 << 20;

}  // namespace

StatusOr<ZipArchive> ZipArchive::open(std::string_view b, const std::string& where) {
  auto bad = [&](const std::string& what) {
    return invalid_argument_error(where + ": not a readable zip archive: " + what);
  };
  if (b.size() < 22) return bad("shorter than an end-of-directory record");
  // The end record sits in the last 22 + 65535 (comment) bytes.
  size_t end = std::string_view::npos;
  const size_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
  for (size_t p = b.size() - 22 + 1; p-- > lowest;) {
    if (le(b, p, 4) == kEndSig) {
      end = p;
      break;
    }
  }
  if (end == std::string_view::npos) return bad("no end-of-central-directory record");
  const uint32_t count = le(b, end + 10, 2);
  const uint32_t dir_size = le(b, end + 12, 4);
  const uint32_t dir_offset = le(b, end + 16, 4);
  if (count == 0xFFFF || dir_offset == 0xFFFFFFFFu) return bad("zip64 archives are not supported");
  if (uint64_t{dir_offset} + dir_size > end) return bad("central directory outside the file");
  if (count > kMaxEntries) return bad("too many entries");

  ZipArchive zip;
  zip.where_ = where;
  size_t p = dir_offset;
  for (uint32_t i = 0; i < count; ++i) {
    if (p + 46 > end || le(b, p, 4) != kCentralSig) return bad("broken central directory entry");
    const uint32_t method = le(b, p + 10, 2);
    const uint32_t csize = le(b, p + 20, 4);
    const uint32_t usize = le(b, p + 24, 4);
    const uint32_t name_len = le(b, p + 28, 2);
    const uint32_t extra_len = le(b, p + 30, 2);
    const uint32_t comment_len = le(b, p + 32, 2);
    const uint32_t local = le(b, p + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > end) return bad("entry name past the end");
    std::string name(b.substr(p + 46, name_len));
    p += 46 + name_len + extra_len + comment_len;
    if (csize == 0xFFFFFFFFu || local == 0xFFFFFFFFu)
      return bad("entry '" + name + "' needs zip64, which is not supported");
    if (method != 0)
      return bad("entry '" + name + "' is compressed (method " + std::to_string(method) +
                 "); only stored entries are supported, as torch.save writes them");
    if (csize != usize) return bad("entry '" + name + "' sizes disagree");
    if (uint64_t{local} + 30 > b.size() || le(b, local, 4) != kLocalSig)
      return bad("entry '" + name + "' has no local header");
    const uint64_t data =
        uint64_t{local} + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
    if (data + csize > b.size()) return bad("entry '" + name + "' runs past the end");
    zip.entries_[name] = b.substr(data, csize);
  }
  return zip;
}

StatusOr<std::string_view> ZipArchive::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return not_found_error(where_ + ": no entry '" + name + "'");
  return it->second;
}

}  // namespace fenlei::hf
