// Whole-file reads, atomic writes and the checks every command makes on its output paths.
// Every file fenlei writes (models, checkpoints, caches) goes through write_file_atomic so that a
// crash or a full disk never leaves half a file behind (docs/reliability.md).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"

namespace fenlei {

// Reads a whole file ("-" is not special here). NOT_FOUND if it does not exist; DATA_LOSS if a
// read fails part way (never a silently shortened result).
StatusOr<std::string> read_file(const std::string& path);

// Writes `data` to a new temporary file in the directory of `path` (".NAME.tmp-XXXXXX", created
// exclusively, so a planted file or symlink of that name is never followed), fsyncs it, renames it
// over `path` and fsyncs the directory. On failure the temporary file is removed and `path` is
// untouched. If `path` is a symlink, the link itself is replaced, never the file it points to.
Status write_file_atomic(const std::string& path, std::string_view data);

// Receives a file's bytes in order, piece by piece; an error stops the write.
using ByteSink = std::function<Status(std::string_view bytes)>;
// write_file_atomic for bytes that `produce` hands to the sink in pieces, so that a large file
// (a model) never exists whole in memory. An error from `produce` or from writing leaves `path`
// untouched, as above.
Status write_file_atomic_streamed(const std::string& path,
                                  const std::function<Status(const ByteSink&)>& produce);

// True if `path` names an existing regular file.
bool file_exists(const std::string& path);

// Checks, before any work starts, that `output` can be written and is none of `inputs` (compared
// by device and inode, so links and different spellings of one file are caught). Empty entries of
// `inputs` are ignored. `flag` names the option in messages (e.g. "--output").
// INVALID_ARGUMENT: output is an input, a directory, or its directory is missing or not writable;
// with `atomic` (the output is written by write_file_atomic, which renames over it), also an
// existing output that is not a regular file (/dev/null would be replaced by a file).
Status check_output_path(const std::string& output, const std::vector<std::string>& inputs,
                         const std::string& flag = "--output", bool atomic = true);

}  // namespace fenlei
