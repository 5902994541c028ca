// pytorch_model.bin as torch.save (>= 1.6) writes it: a zip archive holding <dir>/data.pkl (the
// state dict, read by the restricted pickle reader) and <dir>/data/<key> (raw little-endian
// storages). Legacy (pre-zip) torch files are rejected with a message saying how to convert.
#pragma once

#include <string>
#include <string_view>

#include "fenlei/status.h"
#include "hf/tensor_map.h"

namespace fenlei::hf {

StatusOr<TensorMap> parse_pytorch_bin(std::string_view bytes, const std::string& where);
StatusOr<TensorMap> read_pytorch_bin(const std::string& path);

}  // namespace fenlei::hf
