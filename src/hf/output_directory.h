// Writes a checkpoint directory (a handful of flat files) so that readers see either no
// directory, the old one, or the complete new one, never half of it: every file goes into a
// fresh sibling DIR.tmp-XXXXXX (same file system), is fsynced, and the directory is then
// renamed into place. Replacing a non-empty directory swaps the two atomically where the
// kernel can (renameat2 RENAME_EXCHANGE), else in two renames (a crash between them leaves the
// old directory under DIR.tmp-XXXXXX.old, never a mixture).
#pragma once

#include <map>
#include <string>

#include "fenlei/status.h"

namespace fenlei::hf {

// `files`: file name (no '/') -> bytes. A missing or empty `dir` is created. A non-empty `dir`
// is refused (FAILED_PRECONDITION) unless `replace`; even then only a flat directory of files
// is replaced (one holding subdirectories is not what a checkpoint looks like: INVALID_ARGUMENT),
// and everything in it is removed. On any error nothing is left behind and `dir` is unchanged.
Status write_directory_atomic(const std::string& dir, const std::map<std::string, std::string>& files,
                              bool replace);

}  // namespace fenlei::hf
