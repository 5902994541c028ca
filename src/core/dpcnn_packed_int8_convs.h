// int8 dpcnn inference with the encoders' packed VNNI kernel (transformer/packed_int8.h) for
// the products: each conv's int8 weights copied once, at engine construction, into 32-column
// panels. quant's own GEMM (quant/kernels.h: 16-channel blocks, one accumulator chain per row
// and block) ran these convs at ~560 GOP/s where the packed kernel reaches ~860
// (build/bench/dense_kernels, AMD Zen 5), and the convs are ~60 % of an int8 dpcnn's time.
// Everything else is quant's: the rows quantised by quant::quantize_rows_u8, the int32
// products exact, and the dequantisation quant::dequantize_products (the packed kernel writes
// the products as floats: unit scales, zero bias), so the probabilities are the same bits as
// quant's path (a first version used the kernel's own fma(acc * x_scale, w_scale, bias): one
// rounding apart per output, and through the next conv's requantisation up to 5.7e-4 apart in
// probability on the hotel reviews).
//
// Like core::DpcnnPackedConvs for float models: null for other architectures and with
// FENLEI_CONV_KERNEL=gemm (benchmarks compare the two paths). The copy costs the convs' int8
// weights once more (~3 MB at the preset's sizes).
#pragma once

#include <memory>
#include <vector>

#include "nn/dpcnn.h"
#include "quant/int8_model.h"
#include "transformer/int8_linear.h"

namespace fenlei::core {

class DpcnnPackedInt8Convs {
 public:
  // `model` must outlive the result (its embedding table and conv scales are read in place).
  static std::unique_ptr<const DpcnnPackedInt8Convs> create(const quant::Int8Model& model);

  // The forward's steps (nn::dpcnn_forward_ops) on the packed int8 weights.
  const nn::DpcnnOps& ops() const { return ops_; }

 private:
  DpcnnPackedInt8Convs() = default;
  void conv(int layer, const float* col, int rows, float* y) const;

  const quant::Int8Model* model_ = nullptr;
  // [0] region conv, [1 + 2*s + j] stage s conv j: the int8 weights with unit scales and zero
  // biases (the kernel's output is the products as floats).
  std::vector<transformer::Int8Linear> products_;
  transformer::PackedInt8Fn kernel_ = nullptr;
  nn::DpcnnOps ops_;
};

}  // namespace fenlei::core
