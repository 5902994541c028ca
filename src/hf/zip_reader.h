// A minimal reader for the zip archives torch.save writes: stored (uncompressed) entries, no
// zip64, no encryption. It only indexes names to byte ranges of the archive held in memory;
// every offset in the central directory and local headers is checked against the archive size.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "fenlei/status.h"

namespace fenlei::hf {

class ZipArchive {
 public:
  // `bytes` must outlive the archive. Errors name `where`.
  static StatusOr<ZipArchive> open(std::string_view bytes, const std::string& where);

  // Contents of a stored entry, NOT_FOUND when absent.
  StatusOr<std::string_view> entry(const std::string& name) const;
  const std::map<std::string, std::string_view>& entries() const { return entries_; }

 private:
  std::map<std::string, std::string_view> entries_;
  std::string where_;
};

}  // namespace fenlei::hf
