// The packed-sequence iteration and the projections shared by the LSTM and GRU cells
// (nn/lstm.h, nn/gru.h): both run one GEMM over every row for the input projection, one GEMM
// per step over the sequences still running for the hidden projection, and the mirror image
// of both in the backward pass. Only the gate arithmetic differs, and stays in each cell.
#pragma once

#include <cstddef>
#include <vector>

#include "nn/packed_sequence.h"

namespace fenlei::nn {

// The packed rows of step t: rows [first, first + count) continue rows [prev, prev + count) of
// step t-1 (a prefix of it, sequences being longest first). At t == 0 there is no previous
// step: the state before it is zero.
struct StepRows {
  int first = 0;
  int count = 0;
  int prev = 0;
  bool initial = true;

  // The previous-step row of sequence k, or `zeros` at step 0.
  template <typename T, typename Zero>
  T* prev_row(T* base, int k, int width, Zero* zeros) const {
    return initial ? zeros : base + size_t(prev + k) * size_t(width);
  }
};

inline StepRows step_rows(const PackedLayout& layout, int t) {
  StepRows s;
  s.first = layout.step_offset[size_t(t)];
  s.count = layout.active(t);
  s.initial = t == 0;
  s.prev = s.initial ? 0 : layout.step_offset[size_t(t) - 1];
  return s;
}

// Calls fn(StepRows) for every step, first to last (forward) or last to first (backward).
template <typename Fn>
void for_each_step(const PackedLayout& layout, bool last_first, Fn&& fn) {
  const int n = layout.steps();
  for (int k = 0; k < n; ++k) fn(step_rows(layout, last_first ? n - 1 - k : k));
}

// out[r, :] = bias for r < rows (out:[rows, n]).
void fill_rows(const float* bias, int rows, int n, float* out);

// out[r, :] = bias + x[r, :] W^T for every row: x:[rows, in], w:[n, in], out:[rows, n].
void project_rows(const float* x, int rows, int in, const float* w, const float* bias, int n,
                  float* out);

// out[step rows] += h[previous rows] W_hh^T (nothing at step 0): h:[rows, H], w_hh:[n, H],
// out:[rows, n].
void add_hidden_projection(const StepRows& st, const float* h, int H, const float* w_hh, int n,
                           float* out);

// The backward of add_hidden_projection for one step, given d:[rows, n] the gradient of out:
// dh[previous rows] += d[step rows] W_hh and dw_hh += d[step rows]^T h[previous rows].
void hidden_projection_backward(const StepRows& st, const float* d, int n, const float* h, int H,
                                const float* w_hh, float* dh, float* dw_hh);

// dbias[j] += sum over rows of d[r, j] (d:[rows, n]).
void add_column_sums(const float* d, int rows, int n, float* dbias);

// The backward of project_rows, given d:[rows, n]: dbias += column sums (if not null),
// dw += d^T x, dx = d W (overwritten).
void project_rows_backward(const float* d, int rows, int n, const float* x, int in, const float* w,
                           float* dw, float* dbias, float* dx);

// Inference over one sequence (nn/recurrent_token_projection.h): y[j] = init[j] + sum_k x[k] *
// W[j, k] for j < n, W:[n, K] given as pack_for_gemv(W): column blocks of 64 (the last one
// narrower), each stored [K, width] contiguously. So one step's hidden projection h_{t-1} W_hh^T
// of every gate is one front-to-back pass over W_hh, 64 outputs at a time in registers (no
// BLAS call per step, no packing per call). y may alias init. The production kernel (AVX2 + FMA
// when the CPU has them) sums in the reference's order but with fused multiply-adds.
void gemv_packed_ref(const float* x, int K, const float* packed, int n, const float* init,
                     float* y);
void gemv_packed(const float* x, int K, const float* packed, int n, const float* init, float* y);

// W:[n, K] in gemv_packed's layout.
std::vector<float> pack_for_gemv(const float* w, int n, int K);

}  // namespace fenlei::nn
