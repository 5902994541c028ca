// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length, a JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...},
// then the tensor bytes. Every field is checked against the file before anything is allocated:
// the header cannot claim more bytes than the file has, so a lying header costs nothing.
#pragma once

#include <string>
#include <string_view>

#include "fenlei/status.h"
#include "hf/tensor_map.h"

namespace fenlei::hf {

// Parses a whole safetensors file held in memory. Accepts dtypes F32, F16 and BF16 (converted to
// float32). Errors name `where` (the file) and the tensor/field at fault.
StatusOr<TensorMap> parse_safetensors(std::string_view bytes, const std::string& where);

StatusOr<TensorMap> read_safetensors(const std::string& path);

}  // namespace fenlei::hf
