// libFuzzer target: arbitrary bytes into the safetensors reader must give tensors or a Status,
// never a crash, out-of-bounds read or an allocation larger than the input implies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hf/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto tensors = fenlei::hf::parse_safetensors(bytes, "fuzz.safetensors");
  if (!tensors.ok()) return 0;
  size_t floats = 0;
  for (const auto& [name, t] : *tensors) {
    if (static_cast<int64_t>(t.data.size()) != t.numel()) std::abort();
    floats += t.data.size();
  }
  if (floats > size) std::abort();  // every value came from at least one byte of the file
  return 0;
}
