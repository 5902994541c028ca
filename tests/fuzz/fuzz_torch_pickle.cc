// libFuzzer target: the restricted pickle reader and the torch zip reader. Arbitrary bytes must
// give a state dict or a Status: never a crash, a leak, or anything run but tensor rebuilding.
// The first byte chooses the entry point so one corpus exercises both.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hf/pickle_reader.h"
#include "hf/torch_bin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    auto tensors = fenlei::hf::parse_pytorch_bin(bytes, "fuzz.bin");
    if (tensors.ok()) {
      for (const auto& [name, t] : *tensors)
        if (static_cast<int64_t>(t.data.size()) != t.numel()) std::abort();
    }
  } else {
    fenlei::hf::parse_state_dict_pickle(bytes, "fuzz.pkl").status().ignore();
  }
  return 0;
}
