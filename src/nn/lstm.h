// One direction of an LSTM over a packed batch (PyTorch gate order i, f, g, o; one bias):
//   a = x W_ih^T + b + h_{t-1} W_hh^T;  i,f,o = sigmoid, g = tanh
//   c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
// The input projection of every row is one sgemm; the recurrence is one sgemm per step over the
// sequences still running. Rows are in PackedLayout order; step 0 starts from h = c = 0.
#pragma once

#include <vector>

#include "nn/packed_sequence.h"
#include "nn/recurrent_scratch.h"

namespace fenlei::nn {

// x:[rows, in] w_ih:[4H, in] w_hh:[4H, H] bias:[4H]. Writes h:[rows, H]; keeps gates and cells in s.
void lstm_forward(const PackedLayout& layout, const float* x, int in, const float* w_ih,
                  const float* w_hh, const float* bias, int hidden, CellScratch& s, float* h);

// The recurrence alone, for callers that compute the input projection themselves (the int8
// engine, quant/int8_recurrent.h): s.gates must hold x W_ih^T + bias, [rows, 4H], on entry.
void lstm_recurrence(const PackedLayout& layout, const float* w_hh, int hidden, CellScratch& s,
                     float* h);

// Inference over one sequence of `len` steps whose input-side pre-activations are precomputed:
// step t reads in[t][0, 4H) = x_t W_ih^T + bias (nn/recurrent_token_projection.h); w_hh_packed is
// pack_for_gemv(W_hh) (recurrent_steps.h). Writes h:[len, H], row t = step t; `scratch` grows to 7H floats. Equals
// lstm_recurrence on a one-sequence layout up to float rounding (summation order).
void lstm_sequence_inference(const float* const* in, int len, const float* w_hh_packed, int hidden,
                             std::vector<float>& scratch, float* h);

// Given dh:[rows, H] (the gradient of the outputs; used as scratch and overwritten), accumulates
// dw_ih, dw_hh, dbias and writes dx:[rows, in]. Needs the scratch of the matching forward.
void lstm_backward(const PackedLayout& layout, const float* x, int in, const float* w_ih,
                   const float* w_hh, int hidden, CellScratch& s, const float* h, float* dh,
                   float* dw_ih, float* dw_hh, float* dbias, float* dx);

}  // namespace fenlei::nn
