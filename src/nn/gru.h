// One direction of a GRU over a packed batch (PyTorch's formulation, gate order r, z, n):
//   r = sigmoid(x W_ir + b_ir + h W_hr + b_hr),  z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
//   n = tanh(x W_in + b_in + r * (h W_hn + b_hn)),  h' = (1 - z) * n + z * h
// As nn/lstm.h: one sgemm for the input projection of every row, one per step for the recurrence.
#pragma once

#include <vector>

#include "nn/packed_sequence.h"
#include "nn/recurrent_scratch.h"

namespace fenlei::nn {

// x:[rows, in] w_ih:[3H, in] w_hh:[3H, H] b_ih, b_hh:[3H]. Writes h:[rows, H].
void gru_forward(const PackedLayout& layout, const float* x, int in, const float* w_ih,
                 const float* w_hh, const float* b_ih, const float* b_hh, int hidden,
                 CellScratch& s, float* h);

// The recurrence alone (as lstm_recurrence): s.gates must hold x W_ih^T + b_ih, [rows, 3H].
void gru_recurrence(const PackedLayout& layout, const float* w_hh, const float* b_hh, int hidden,
                    CellScratch& s, float* h);

// Inference over one sequence (as lstm_sequence_inference): step t reads in[t][0, 3H) = x_t W_ih^T
// + b_ih; w_hh_packed is pack_for_gemv(W_hh) (recurrent_steps.h). Writes h:[len, H]; `scratch` grows to 7H floats.
void gru_sequence_inference(const float* const* in, int len, const float* w_hh_packed,
                            const float* b_hh, int hidden, std::vector<float>& scratch, float* h);

// Given dh:[rows, H] (overwritten), accumulates the weight/bias gradients and writes dx:[rows, in].
void gru_backward(const PackedLayout& layout, const float* x, int in, const float* w_ih,
                  const float* w_hh, int hidden, CellScratch& s, const float* h, float* dh,
                  float* dw_ih, float* dw_hh, float* db_ih, float* db_hh, float* dx);

}  // namespace fenlei::nn
