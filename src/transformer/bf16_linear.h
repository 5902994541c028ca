// bf16 dense layers for the encoder (`fenlei quantize --precision bf16`): weights rounded to
// bfloat16 once (nearest even), activations rounded per call, products accumulated in float by
// quant's bf16 kernel (AVX512-BF16 vdpbf16ps, or its bit-identical scalar reference). Half the
// memory of float weights and about twice the arithmetic rate on CPUs with the instruction.
// The weights are held packed for the outer-product kernel (packed_bf16.h), once.
#pragma once

#include <cstdint>
#include <vector>

#include "transformer/layers.h"
#include "transformer/packed_bf16.h"
#include "transformer/packed_parallel.h"

namespace fenlei::transformer {

struct Bf16Linear {
  int in = 0, out = 0;
  PackedBf16 packed;  // the bf16 weights in panels (bf16_weights() gives [out, in])
};

// The weights as [out, in] bf16 bits.
inline std::vector<uint16_t> bf16_weights(const Bf16Linear& l) { return unpack_bf16(l.packed); }

Bf16Linear to_bf16_linear(const Linear& l);
// The float Linear with exactly these weights (what the model file stores) and `bias`.
Linear widen_bf16_linear(const Bf16Linear& l, const std::vector<float>& bias);

// y = x W^T + bias, or y += that with `accumulate`; `xb` is the caller's buffer for x in bf16.
void linear_bf16(const float* x, int rows, const Bf16Linear& l, const float* bias, float* y,
                 bool accumulate, std::vector<uint16_t>* xb);
// The same with any epilogue of the packed kernels (GELU fused after the bias).
void linear_bf16(const float* x, int rows, const Bf16Linear& l, const float* bias, float* y,
                 PackedEpilogue epilogue, std::vector<uint16_t>* xb, IntraOp threads = {});

// The same for rows already rounded to bf16: xb rows x l.packed.kp (row stride kp, 0 past
// l.in); y rows x l.out (row stride l.out), only the outputs of run.panel_begin .. panel_end
// written. Every caller that rounds its rows its own way (cls_attention's [CLS] row and the
// terms of xbar) goes through this one call.
void linear_bf16_rounded(const uint16_t* xb, int rows, const Bf16Linear& l, const float* bias,
                         float* y, const PackedRun& run = {});

}  // namespace fenlei::transformer
