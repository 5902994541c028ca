// The on-disk cache of the prepared dictionary (seg_model.h blob): where it lives, what it is
// keyed by, and reading/writing it. A stale, corrupt or unreadable cache is never an error: the
// caller just rebuilds from the text files.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fenlei/status.h"
#include "seg/seg_model.h"

namespace fenlei::seg::detail {

// $FENLEI_CACHE_DIR, else $XDG_CACHE_HOME/fenlei, else $HOME/.cache/fenlei; "" if none is set.
std::string default_cache_dir();

// Describes one source file by path, size, mtime (ns) and inode, so that editing or replacing it
// changes the key. NOT_FOUND if the file does not exist.
StatusOr<std::string> describe_source_file(const std::string& path);

// The cache file for a key inside `dir`: <dir>/jieba-<crc32 of key>.bin.
std::string cache_file_path(const std::string& dir, const std::string& key);

// Reads and verifies a cache file (checksums, structure) and checks that it was built for `key`.
// Any failure returns a non-OK status (the caller rebuilds).
StatusOr<std::shared_ptr<const Model>> read_cache(const std::string& path, const std::string& key);

// Creates the directory if needed and writes the blob atomically.
Status write_cache(const std::string& path, const std::string& blob);

}  // namespace fenlei::seg::detail
