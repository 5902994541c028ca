// libFuzzer target: arbitrary bytes into the safetensors reader must give tensors or a Status,
// never a crash, out-of-bounds read or an allocation larger than the input implies. Whatever it
// accepts, the writer (fenlei export) must write and the reader read back bit for bit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "hf/safetensors.h"
#include "hf/safetensors_writer.h"

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
  for (const auto& [name, t] : *tensors) {
    if (name.empty()) return 0;  // the writer refuses an empty name; the reader tolerates it
  }
  auto written = fenlei::hf::serialize_safetensors(*tensors);
  if (!written.ok()) std::abort();
  auto back = fenlei::hf::parse_safetensors(*written, "written.safetensors");
  if (!back.ok() || back->size() != tensors->size()) std::abort();
  for (const auto& [name, t] : *tensors) {
    auto it = back->find(name);
    if (it == back->end() || it->second.shape != t.shape ||
        it->second.data.size() != t.data.size() ||
        (!t.data.empty() &&
         std::memcmp(it->second.data.data(), t.data.data(), t.data.size() * sizeof(float)) != 0))
      std::abort();
  }
  return 0;
}
