#include "hf/tensor_map.h"

#include <cstring>

#include "quant/half.h"

namespace fenlei::hf {

int64_t checked_numel(const std::vector<int64_t>& shape, int64_t limit) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > limit / d) return -1;
    n *= d;
  }
  return n <= limit ? n : -1;
}

float f16_to_float(uint16_t bits) { return quant::half_to_float(bits); }

float bf16_to_float(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

}  // namespace fenlei::hf
