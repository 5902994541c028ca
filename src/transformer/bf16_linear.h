// bf16 dense layers for the encoder (`fenlei quantize --precision bf16`): weights rounded to
// bfloat16 once (nearest even), activations rounded per call, products accumulated in float by
// quant's bf16 kernel (AVX512-BF16 vdpbf16ps, or its bit-identical scalar reference). Half the
// memory of float weights and about twice the arithmetic rate on CPUs with the instruction.
#pragma once

#include <cstdint>
#include <vector>

#include "transformer/layers.h"

namespace fenlei::transformer {

struct Bf16Linear {
  int in = 0, out = 0;
  std::vector<uint16_t> w;  // [out, in] bf16 bits
};

Bf16Linear to_bf16_linear(const Linear& l);
// The float Linear with exactly these weights (what the model file stores) and `bias`.
Linear widen_bf16_linear(const Bf16Linear& l, const std::vector<float>& bias);

// y = x W^T + bias, or y += that with `accumulate`; `xb` is the caller's buffer for x in bf16.
void linear_bf16(const float* x, int rows, const Bf16Linear& l, const float* bias, float* y,
                 bool accumulate, std::vector<uint16_t>* xb);

}  // namespace fenlei::transformer
