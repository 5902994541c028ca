// The last layer's self-attention when a classifier reads only [CLS] (row 0), without the keys
// and values of every row. Computing them costs 2 * len * h * h multiply-adds; by algebra, per
// head (width d; W_k, W_v the head's d rows of the key and value weights, [out][in]; b_k, b_v
// their biases; x_j the layer's input rows; q the [CLS] query, bias included):
//   score_j = q . (W_k x_j + b_k) = x_j . u + q . b_k,   u = W_k^T q   (one h-long vector)
//   ctx     = sum_j p_j (W_v x_j + b_v) = W_v xbar + b_v,   xbar = sum_j p_j x_j   (sum p = 1)
// q . b_k is the same for every j and the softmax subtracts the row's maximum anyway, so it is
// dropped (exact in real arithmetic; in float the scores differ from the full computation's by
// rounding only). A head then costs h * d (u) + 2 * len * h (scores, xbar) + h * d (ctx)
// multiply-adds: the layer 2 h^2 + 2 heads len h where the keys and values took 2 len h^2.
// Each weight is still read once (u streams the key panels, ctx the value panels).
//
// The weights are the layer's own, in the form the encoder holds them (packed float, bf16 or
// int8; nothing extra is kept): u uses the bf16 / int8 weights widened (int8: q8 * scale).
// int8 and bf16 models see each row x_j as their kernels would (cls_rows_as_seen: bf16-rounded,
// or quantised per row and widened back), and ctx runs the layer's kernel on xbar split into
// terms that the kernel represents exactly between them (packed_row_unrounded), so an int8 or
// bf16 model's [CLS] output equals the full computation's to float rounding, as a float model's
// does: a model file predicts what it predicted before this algebra (an earlier version rounded
// xbar itself, which moved a bf16 fixture's probabilities by up to 4e-3).
// The result is still not bit-equal to the full computation (other summation orders); tests
// bound it.
// Each head is computed the same way whatever range of heads a call covers, so splitting the
// heads over threads gives bit-identical results.
#pragma once

#include <cstdint>
#include <vector>

#include "transformer/bf16_linear.h"
#include "transformer/int8_linear.h"
#include "transformer/packed_dense.h"
#include "transformer/packed_parallel.h"

namespace fenlei::transformer {

// The fused query/key/value layer (out = 3 * hidden, in = hidden) in one of the encoder's packed
// forms: exactly one of f32, bf16, int8 is set.
struct ClsQkv {
  const PackedF32* f32 = nullptr;
  const Bf16Linear* bf16 = nullptr;
  const Int8Linear* int8 = nullptr;
  const float* bias = nullptr;  // 3 * hidden (f32 and bf16; int8 holds its own)
  PackedInt8Fn int8_kernel = nullptr;  // nullptr: the best for this CPU
  // The kernels of u, the scores and xbar: -1 the best for this CPU; tests cap it at 0 (scalar),
  // 1 (AVX2 + FMA) or 2 (AVX-512).
  int isa = -1;
};

// One thread's buffers (reused; they only grow).
struct ClsAttentionScratch {
  std::vector<float> u, scores, xbar, row, seen, residual, terms;
  std::vector<uint16_t> xb;
  Int8Scratch int8;
};

// The len rows of x (len x hidden) as the layer's kernel sees them: x itself for float weights;
// for bf16 each value rounded to bf16, for int8 each row quantised (per-row scale, as every row
// of an int8 layer is) and widened back, in s->seen. The keys and values of the full computation
// are products of exactly these rows, so cls_attention_heads given them matches it to float
// rounding. Not thread-safe on one scratch; call once before the heads.
const float* cls_rows_as_seen(const ClsQkv& w, const float* x, int len, int hidden,
                              ClsAttentionScratch* s);

// The [CLS] query: q[0 .. hidden) = x0 W_q^T + b_q for the one row x0 (hidden floats). q needs
// room for hidden rounded up to 32 (the panel holding the last query outputs is computed whole).
// Its panels split over `threads` when large enough (packed_parallel.h; the same bits).
void cls_query(const ClsQkv& w, const float* x0, int hidden, float* q, ClsAttentionScratch* s,
               IntraOp threads = {});

// ctx[h * d .. (h + 1) * d) for heads h in [h_begin, h_end): the attention output of row 0 with
// query q (hidden floats) over the len rows of x (len x hidden, row stride hidden).
void cls_attention_heads(const ClsQkv& w, const float* x, int len, const float* q, int hidden,
                         int heads, int h_begin, int h_end, float* ctx, ClsAttentionScratch* s);

// u = W^T v for outputs [o_begin, o_end) of a packed layer (v: o_end - o_begin floats, u: the
// layer's k rounded up to 4 floats): the vectorised kernel (w.isa) where the range is whole
// panels, else the scalar reference (also exposed for tests).
void transposed_product(const ClsQkv& w, int o_begin, int o_end, const float* v, float* u);
void transposed_product_ref(const ClsQkv& w, int o_begin, int o_end, const float* v, float* u);

}  // namespace fenlei::transformer
