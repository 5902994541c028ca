// int8 dense layers for the encoder: weights quantised per output channel (scale = amax/127,
// round to nearest even), activations per row at run time (quant::quantize_rows_u8), products
// accumulated in int32 by the packed VNNI kernel (packed_int8.h; equal bit for bit to its
// scalar reference), then y = fma(acc * x_scale, w_scale, bias) (+ residual, or GELU).
#pragma once

#include <cstdint>
#include <vector>

#include "transformer/layers.h"
#include "transformer/packed_int8.h"
#include "transformer/packed_parallel.h"

namespace fenlei::transformer {

struct Int8Linear {
  int in = 0, out = 0;
  std::vector<float> scale;  // [out]
  std::vector<float> bias;   // [out]
  PackedInt8 packed;         // the int8 weights, held once, in the kernel's panels
};

Int8Linear quantize_linear(const Linear& l);
// From stored values (the model file); q.size() must be out * in.
Int8Linear make_int8_linear(int in, int out, std::vector<int8_t> q, std::vector<float> scale,
                            std::vector<float> bias);
// Weight [o][i] as stored.
inline int8_t int8_weight(const Int8Linear& l, int o, int i) { return packed_int8_at(l.packed, o, i); }

// Per-thread buffers, reused across calls.
struct Int8Scratch {
  std::vector<uint8_t> qx;
  std::vector<float> row_scale;
};

// y = x W^T + b (or the epilogue's variant) on `kernel` (nullptr: the best for this CPU).
// Quantises x's rows (quant::quantize_rows_u8, into the scratch) and runs linear_int8_quantised.
void linear_int8(const float* x, int rows, const Int8Linear& l, float* y, PackedInt8Fn kernel,
                 Int8Scratch* scratch, PackedEpilogue epilogue = PackedEpilogue::kStore,
                 IntraOp threads = {});

// The same for rows already quantised as quant::quantize_rows_u8 writes them: qx rows x
// l.packed.kp (row stride kp), row_scale one scale a row; y rows x l.out (row stride l.out),
// only the outputs of run.panel_begin .. panel_end written. Every caller that quantises its rows
// its own way (cls_attention's [CLS] row and the terms of xbar) goes through this one call.
void linear_int8_quantised(const uint8_t* qx, const float* row_scale, int rows, const Int8Linear& l,
                           float* y, PackedInt8Fn kernel, const PackedRun& run = {});

}  // namespace fenlei::transformer
