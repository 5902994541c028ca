// Named float tensors read from a Hugging Face checkpoint (safetensors or pytorch_model.bin).
// Every reader converts F16/BF16 to float32 on load: the encoder computes in float32.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fenlei::hf {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // row-major, product(shape) values

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

using TensorMap = std::map<std::string, Tensor>;

// Product of dims, or -1 when a dim is negative or the product exceeds `limit`.
int64_t checked_numel(const std::vector<int64_t>& shape, int64_t limit);

// Float value of an IEEE binary16 / bfloat16 bit pattern.
float f16_to_float(uint16_t bits);
float bf16_to_float(uint16_t bits);

}  // namespace fenlei::hf
