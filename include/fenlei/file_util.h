// Whole-file reads and atomic writes. Every file fenlei writes (models, checkpoints, caches)
// goes through write_file_atomic so that a crash or a full disk never leaves half a file behind.
#pragma once

#include <string>
#include <string_view>

#include "fenlei/status.h"

namespace fenlei {

// Reads a whole file ("-" is not special here). NOT_FOUND if it does not exist.
StatusOr<std::string> read_file(const std::string& path);

// Writes `data` to `path.tmp.<pid>`, flushes it to disk, then renames it over `path`.
// On failure the temporary file is removed and `path` is untouched.
Status write_file_atomic(const std::string& path, std::string_view data);

// True if `path` names an existing regular file.
bool file_exists(const std::string& path);

}  // namespace fenlei
