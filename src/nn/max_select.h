// The step of a running max over rows, shared by dpcnn's pyramid pooling and the recurrent
// presets' max pooling: where row[f] > best[f], best[f] = row[f] and winner[f] = index. As
// selects with the winner blended through an integer mask, on restrict-qualified pointers, so
// that it vectorises in files built with -fno-trapping-math (CMakeLists.txt): as a branch per
// value it ran one channel at a time (~4% of a dpcnn training step, 8% of an rcnn int8 batch).
// A NaN never wins; ties keep the earlier row.
#pragma once

#include <cstdint>

namespace fenlei::nn {

inline void max_into(const float* __restrict row, int32_t index, int n, float* __restrict best,
                     int32_t* __restrict winner) {
  for (int f = 0; f < n; ++f) {
    const float rv = row[f], bv = best[f];
    const int32_t mask = -int32_t(rv > bv);  // all ones where the row wins
    best[f] = rv > bv ? rv : bv;
    winner[f] = (index & mask) | (winner[f] & ~mask);
  }
}

}  // namespace fenlei::nn
