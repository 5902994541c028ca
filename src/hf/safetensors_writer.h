// Writes the safetensors format that parse_safetensors (safetensors.h) reads and the
// `safetensors` Python package writes: an 8-byte little-endian header length N, N bytes of
// JSON header padded with spaces so that the data starts on an 8-byte boundary, then the
// tensors' bytes back to back in the header's order. Tensors are sorted by name (the Python
// package sorts by alignment, then name; all of ours are F32), so the same tensors always give
// the same bytes: exporting an imported checkpoint reproduces transformers' own file.
#pragma once

#include <map>
#include <string>

#include "fenlei/status.h"
#include "hf/tensor_map.h"

namespace fenlei::hf {

// `metadata` becomes the header's "__metadata__" (string -> string); transformers checks that
// its "format" is "pt", so that is the default. Errors: a tensor whose data does not hold
// product(shape) values, a negative dim, a name that is empty, not UTF-8 or "__metadata__".
StatusOr<std::string> serialize_safetensors(
    const TensorMap& tensors,
    const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// serialize_safetensors, then write_file_atomic.
Status write_safetensors(const std::string& path, const TensorMap& tensors,
                         const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace fenlei::hf
