// A whole file mapped read-only into memory: the bytes are the page cache's, not a copy, and
// only the pages that are read become resident. Model loading maps the file so that large
// weight tensors are used in place (format::map_model_file).
//
// Caveat of every mapping: the file must not be truncated or rewritten in place while mapped
// (reading a page past a shrunken end raises SIGBUS). fenlei replaces files by rename
// (write_file_atomic), which leaves a mapped old file intact; copy new models the same way
// (`cp new.fenlei dir/.tmp && mv dir/.tmp dir/model.fenlei`), not over the old file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "fenlei/status.h"

namespace fenlei {

class MappedFile {
 public:
  // Maps a regular file read-only. Errors as read_file: NOT_FOUND if it does not exist,
  // INVALID_ARGUMENT if it cannot be opened or is a directory. Files that cannot be mapped
  // (pipes, /proc) and empty files are read into memory instead, so every readable file works.
  static StatusOr<std::shared_ptr<const MappedFile>> open(const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return bytes_; }
  bool mapped() const { return map_ != nullptr; }

 private:
  MappedFile() = default;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::string copy_;  // when the file could not be mapped
  std::string_view bytes_;
};

}  // namespace fenlei
