// Batched inference of one LSTM/GRU direction over a packed segment (nn/packed_sequence.h) with
// each step's hidden projection and gate arithmetic fused into one kernel.
//
// The training path (nn/lstm.h, nn/gru.h) runs a step as one sgemm [running texts x H] . W_hh^T
// into a [rows, G*H] gate buffer, then a gate loop over that buffer: the BLAS packs W_hh (256 KiB
// for an LSTM at H = 128) on every call, and the gate buffer makes a round trip through memory.
// Here W_hh is packed once (pack_gate_panels) into panels of 16 hidden units x all gates, each
// K x G*16 floats (32 KiB for an LSTM at H = 128, so it stays in L1 while every running text
// passes over it); a tile of up to 6 texts x one panel accumulates in AVX-512 registers (24 of
// 32 for an LSTM), starting from the text's input-side pre-activations (LSTM) or b_hh (GRU),
// and the cell update runs on the tile before it leaves the registers (nn/recurrent_cells_avx2.h).
// Each text's inputs are read through a row pointer (the per-token rows of
// nn/recurrent_token_projection.h), so nothing is copied into packed order.
//
// Per text, the arithmetic is the one-text path's (lstm_sequence_inference, gru_sequence_inference
// with gemv_packed): the same fused multiply-adds in the same order and the same gate arithmetic
// (the cell updates are compiled without FMA contraction), so a text's outputs are bit-identical
// alone and in a batch wherever gemv_packed runs whole 64-column blocks (gates x H a multiple of
// 64, as at the presets' H = 128); elsewhere, and against the sgemm path, they differ by float
// rounding.
//
// Needs AVX-512F/DQ and H a multiple of 16 (batch_inference_supported); callers otherwise keep
// the sgemm path.
#pragma once

#include <vector>

#include "nn/packed_sequence.h"

namespace fenlei::nn {

constexpr int kPanelUnits = 16;  // hidden units per panel (one AVX-512 register per gate)

bool batch_inference_supported(int hidden);

// W:[gates*H, K] rearranged into H/8 panels; panel u is [K, gates*8] with
// panel[k][g*8 + l] = W[g*H + 8u + l][k]. Needs H % 8 == 0.
std::vector<float> pack_gate_panels(const float* w, int gates, int H, int K);

// One direction over every row of `layout`: in[r] points at packed row r's input-side
// pre-activations (x W_ih^T + b, [4H]); panels = pack_gate_panels(W_hh, 4, H, H). Writes
// h:[rows, H]; `cell` grows to [rows, H]. Needs batch_inference_supported(H).
void lstm_batch_inference(const PackedLayout& layout, const float* const* in, const float* panels,
                          int hidden, std::vector<float>& cell, float* h);

// As lstm_batch_inference for a GRU: in[r] holds x W_ih^T + b_ih, [3H]; b_hh:[3H].
void gru_batch_inference(const PackedLayout& layout, const float* const* in, const float* panels,
                         const float* b_hh, int hidden, float* h);

}  // namespace fenlei::nn
