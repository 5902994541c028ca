// The integer recurrence of the recurrent presets' int8 models (issue 15): each step's hidden
// projection h_{t-1} W_hh^T on the u8 x s8 kernels of quant/kernels.h, int32 sums.
//
// W_hh is int8 with one scale per output channel (a gate unit), quantised once at `fenlei
// quantize` time. The hidden state needs no dynamic scale: an LSTM's h = o * tanh(c) and a GRU's
// h (a convex mix of tanh outputs and h_0 = 0) lie in (-1, 1), so each step quantises h with the
// fixed scale 1/127 (u8 = round(h * 127) + 128, the kernels' +128 form), and a gate unit's
// hidden-side pre-activation is float(sum) * scale_w[j] / 127. W_hh is a quarter of the float
// bytes (LSTM at H = 128: 64 KiB instead of 256 KiB), which is what a single text's steps stream.
//
// One text and a batch run the same code: per step the running texts' h rows are quantised,
// multiplied (a matrix-vector kernel for < 8 rows, the GEMM otherwise; both exact) and each
// text's gates updated from its own int32 row, so a text's outputs are bit-identical alone and in
// any batch. The gate arithmetic is sigmoid / tanh from a fused-multiply-add exponential
// rearranged to two divisions per unit (int8_gate_rows.cc; the float engine's cells have five
// for an LSTM), within ~1e-6 of the textbook cells, 16 lanes at a time where the CPU has
// AVX-512, 8 where it has AVX2 and FMA, lane for lane the scalar reference.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/packed_sequence.h"

namespace fenlei::quant {

struct Int8Linear;  // quant/int8_model.h

// h in (-1, 1) per unit: q = clamp(round-to-nearest-even(h * 127), -127, 127), stored as u8
// q + 128 in rows of kp bytes ([k, kp) = 128, zero). Scalar reference and AVX2 / AVX-512
// versions equal to it bit for bit; quantize_hidden_u8 runs the best for this CPU.
constexpr float kHiddenLevels = 127.0f;
void quantize_hidden_u8_ref(const float* h, int m, int k, int kp, uint8_t* q);
void quantize_hidden_u8_avx2(const float* h, int m, int k, int kp, uint8_t* q);
void quantize_hidden_u8_avx512(const float* h, int m, int k, int kp, uint8_t* q);
void quantize_hidden_u8(const float* h, int m, int k, int kp, uint8_t* q);

// The gate update of one text's step from its int32 hidden-side sums acc[G*H] (null at step 0,
// where h_{t-1} = 0) with per-unit scales out_scale[G*H] (W_hh's weight scales):
//   LSTM: pre = in + float(acc) * out_scale / 127 for gates i, f, g, o; c = f c_prev + i g
//         (c_prev null: 0), h = o tanh(c).
//   GRU:  hh = b_hh + float(acc) * out_scale / 127; r, z from in + hh, n = tanh(in_n + r hh_n),
//         h = (1 - z) n + z h_prev (h_prev null: 0).
// The arithmetic (quant/int8_gate_rows.cc): the hidden-side part as one fused multiply-add,
// sigmoid and tanh from exp_fma, rearranged to two divisions per unit; within 1e-6 of the
// textbook cells. The scalar reference, an AVX2 + FMA version (8 units at a time) and an
// AVX-512 one (16) run the same fused operations in the same order, so all three are equal bit
// for bit; best_*_row picks the widest this CPU runs.
void lstm_int8_row_ref(const float* in, const int32_t* acc, const float* out_scale, int H,
                       const float* c_prev, float* c, float* h);
void lstm_int8_row_avx2(const float* in, const int32_t* acc, const float* out_scale, int H,
                        const float* c_prev, float* c, float* h);
void lstm_int8_row_avx512(const float* in, const int32_t* acc, const float* out_scale, int H,
                          const float* c_prev, float* c, float* h);
void gru_int8_row_ref(const float* in, const int32_t* acc, const float* out_scale,
                      const float* b_hh, int H, const float* h_prev, float* h);
void gru_int8_row_avx2(const float* in, const int32_t* acc, const float* out_scale,
                       const float* b_hh, int H, const float* h_prev, float* h);
void gru_int8_row_avx512(const float* in, const int32_t* acc, const float* out_scale,
                         const float* b_hh, int H, const float* h_prev, float* h);
using LstmInt8RowFn = void (*)(const float*, const int32_t*, const float*, int, const float*,
                               float*, float*);
using GruInt8RowFn = void (*)(const float*, const int32_t*, const float*, const float*, int,
                              const float*, float*);
bool gate_rows_have_avx2();    // AVX2 and FMA
bool gate_rows_have_avx512();  // AVX-512F
LstmInt8RowFn best_lstm_int8_row();
GruInt8RowFn best_gru_int8_row();

// e^x for x in [-87, 88] as the gate rows compute it: Cody-Waite reduction and Cephes'
// degree-6 polynomial (as nn/fast_math.h's fast_exp), each step one fused multiply-add;
// relative error below 2.5e-7. The rows of n values: scalar, AVX2 + FMA, AVX-512 (equal bit for
// bit; for the tests).
float exp_fma(float x);
void exp_fma_row_ref(const float* x, float* y, int n);
void exp_fma_row_avx2(const float* x, float* y, int n);
void exp_fma_row_avx512(const float* x, float* y, int n);

struct Int8RecurrenceScratch {
  std::vector<uint8_t> q;     // [running texts, kp] the quantised h_{t-1} rows
  std::vector<int32_t> acc;   // [running texts, G*H] their hidden-side sums
};

// One direction over every row of `layout`: in[r] points at packed row r's input-side
// pre-activations ([4H] or [3H]); w_hh is the finished int8 W_hh ([G*H, H]). Writes h:[rows, H]
// (packed order); `cell` grows to [rows, H] (the LSTM's c).
void lstm_int8_recurrence(const nn::PackedLayout& layout, const float* const* in,
                          const Int8Linear& w_hh, int hidden, Int8RecurrenceScratch& s,
                          std::vector<float>& cell, float* h);
void gru_int8_recurrence(const nn::PackedLayout& layout, const float* const* in,
                         const Int8Linear& w_hh, const float* b_hh, int hidden,
                         Int8RecurrenceScratch& s, float* h);

}  // namespace fenlei::quant
