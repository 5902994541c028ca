// A restricted reader for the pickle that torch.save writes for a state dict. It is not a pickle
// interpreter: it knows the handful of opcodes a state dict uses and only these globals:
// collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter and the
// torch.*Storage types. Anything else (another global, an unknown opcode, a call of anything but
// these) is an error naming the file and byte. Nothing is ever executed or imported.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"

namespace fenlei::hf {

// A tensor as the pickle describes it: a view (offset, shape, stride in elements) into a
// storage saved as its own archive entry data/<storage_key>.
struct TensorRecord {
  std::string storage_key;
  std::string dtype;  // "F32", "F16", "BF16", "I64"
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
};

// Parses data.pkl into name -> tensor record.
StatusOr<std::map<std::string, TensorRecord>> parse_state_dict_pickle(std::string_view bytes,
                                                                      const std::string& where);

}  // namespace fenlei::hf
