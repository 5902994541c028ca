// PackedLayout: a ragged segment of sequences laid out step-major, longest first (PyTorch's
// "packed sequence"), so each recurrent step is one GEMM over the sequences still running and no
// work is spent on padding. Step t holds one row per sequence longer than t; since sequences are
// sorted by decreasing length, those rows are a prefix of step t-1's rows.
#pragma once

#include <cstdint>
#include <vector>

namespace fenlei::nn {

struct Segment;  // nn/conv1d.h (not included: conv1d.h -> workspace.h -> this header)

struct PackedLayout {
  std::vector<int32_t> order;        // [m] example (index in the segment) of packed column k
  std::vector<int32_t> column;       // [m] inverse of order: the column of example i
  std::vector<int32_t> step_offset;  // [steps+1] first packed row of step t

  int steps() const { return static_cast<int>(step_offset.size()) - 1; }
  int rows() const { return step_offset.back(); }
  int active(int t) const { return step_offset[t + 1] - step_offset[t]; }
  // Packed row of example i at step t (valid for t < length of example i).
  int row(int i, int t) const { return step_offset[t] + column[i]; }
};

// Fills `out` for the examples of `seg` (stable order among equal lengths, so deterministic).
void build_packed_layout(const Segment& seg, PackedLayout* out);

}  // namespace fenlei::nn
