// int8 dense layers for the encoder: weights quantised per output channel (scale = amax/127,
// round to nearest even), activations per row at run time (quant::quantize_rows_u8), products
// accumulated in int32 by quant's u8 x s8 GEMM (AVX-512 VNNI / AVX2 / scalar reference, equal
// bit for bit), then y = acc * x_scale * w_scale + bias.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/kernels.h"
#include "transformer/layers.h"

namespace fenlei::transformer {

struct Int8Linear {
  int in = 0, out = 0;
  // The stored values [out, in] are packed.rows' first `in` columns: the row-major copy is
  // not kept a second time (a third of an int8 encoder's memory).
  std::vector<float> scale;   // [out]
  std::vector<float> bias;    // [out]
  quant::PackedWeights packed;
};

Int8Linear quantize_linear(const Linear& l);
// From stored values (the model file); q.size() must be out * in.
Int8Linear make_int8_linear(int in, int out, std::vector<int8_t> q, std::vector<float> scale,
                            std::vector<float> bias);
// Weight [o][i] as stored.
inline int8_t int8_weight(const Int8Linear& l, int o, int i) {
  return l.packed.rows[static_cast<size_t>(o) * l.packed.kp + i];
}

// Per-thread buffers, reused across calls.
struct Int8Scratch {
  std::vector<uint8_t> qx;
  std::vector<float> row_scale;
  std::vector<int32_t> acc;
};

void linear_int8(const float* x, int rows, const Int8Linear& l, float* y, quant::GemmFn gemm,
                 Int8Scratch* scratch);

}  // namespace fenlei::transformer
