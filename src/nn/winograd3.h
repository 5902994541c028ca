// Width-3 "same" convolutions over ragged texts by Winograd's minimal filtering F(2,3) (Lavin &
// Gray 2016, the 1-D case), for training dpcnn's stage convs.
//
// A width-3 conv y[t] = W0 a[t-1] + W1 a[t] + W2 a[t+1] (+ b) computes each pair of outputs
// (y[2j], y[2j+1]) from the four inputs d0..d3 = a[2j-1 .. 2j+2] with four products instead of six:
//   m1 = G1 (d0 - d2),  m2 = G2 (d1 + d2),  m3 = G3 (d2 - d1),  m4 = G4 (d1 - d3)
//   y[2j] = m1 + m2 + m3,  y[2j+1] = m2 - m3 - m4
// with G1 = W0, G2 = (W0 + W1 + W2) / 2, G3 = (W0 - W1 + W2) / 2, G4 = W2. Over C channels each mi
// is one GEMM [tiles, C_in] x [C_in, C_out] for all tiles of all texts, so the three GEMMs of the
// forward and of the backward (dW, d input) do 2/3 of im2col's multiply-adds: 4 x L/2 x C^2
// against 3 x L x C^2 per text of L positions. The function is the same conv (exactly, in real
// arithmetic); only the float rounding differs. Measured on the dpcnn's shapes (C = 250,
// OpenBLAS, one thread, AMD Zen 5): the three products 1.29-1.46x faster than im2col's.
//
// Texts are stacked as in dpcnn.h: text i owns rows [row_start[i], row_start[i+1]), each at
// least one row, and a text's windows read zeros outside its rows. A text of L rows has
// ceil(L/2) tiles; for odd L its last tile's second output does not exist (not written, and its
// gradient is zero). Transformed arrays hold the tiles of every text in order: [4][tiles][C].
#pragma once

#include <cstdint>

namespace fenlei::nn {

// Tiles of the texts stacked as row_start[0..m]: sum of ceil(L_i / 2).
int winograd3_tiles(const int32_t* row_start, int m);

// The two combined filters of a conv whose weight w is [c_out, 3 * c_in] (tap k in columns
// k*c_in .. k*c_in + c_in - 1, as nn/conv1d.h): gplus = (W0 + W1 + W2) / 2, gminus = (W0 - W1 +
// W2) / 2, [c_out, c_in] each. G1 and G4 are read from w in place.
void winograd3_filters(const float* w, int c_out, int c_in, float* gplus, float* gminus);

// d[4][tiles][c_in]: the transformed windows of relu(x) (of x when relu is false), x [rows, c_in].
void winograd3_transform_input(const float* x, int c_in, const int32_t* row_start, int m, bool relu,
                               float* d);

// y[rows, c_out] = conv(a) + bias from the transformed windows d; m4 is [4][tiles][c_out] scratch.
void winograd3_forward(const float* d, const float* w, const float* gplus, const float* gminus,
                       const float* bias, int c_out, int c_in, const int32_t* row_start, int m,
                       float* m4, float* y);

struct Winograd3Backward {
  const float* d = nullptr;  // the forward's transformed windows [4][tiles][c_in]
  const float* w = nullptr;  // [c_out, 3 * c_in]
  const float* gplus = nullptr;
  const float* gminus = nullptr;
  int c_out = 0, c_in = 0;
  const int32_t* row_start = nullptr;
  int m = 0;
  // Scratch: dm [4][tiles][c_out], dd [4][tiles][c_in], dg [2][c_out][c_in].
  float* dm = nullptr;
  float* dd = nullptr;
  float* dg = nullptr;
};

// Given dy [rows, c_out]: dw [c_out, 3*c_in] += dL/dW, db [c_out] += column sums of dy, and
// dx [rows, c_in] (overwritten) = dL/da, then zeroed where gate <= 0 when gate is given (the
// ReLU in front of the conv: gate is its input) and plus add when given (a shortcut's
// gradient), in that order.
void winograd3_backward(const Winograd3Backward& b, const float* dy, float* dw, float* db,
                        const float* gate, const float* add, float* dx);

}  // namespace fenlei::nn
