#include "nn/packed_sequence.h"

#include <algorithm>

#include "nn/conv1d.h"

namespace fenlei::nn {

void build_packed_layout(const Segment& seg, PackedLayout* out) {
  const int m = seg.count;
  out->order.resize(size_t(m));
  out->column.resize(size_t(m));
  for (int i = 0; i < m; ++i) out->order[size_t(i)] = i;
  // Longest first, ties in segment order: stable_sort's order, without its temporary buffer
  // (one heap allocation per call, i.e. per text at inference).
  std::sort(out->order.begin(), out->order.end(), [&seg](int32_t a, int32_t b) {
    const int la = seg.length(a), lb = seg.length(b);
    return la != lb ? la > lb : a < b;
  });
  for (int k = 0; k < m; ++k) out->column[size_t(out->order[size_t(k)])] = k;
  const int steps = m > 0 ? seg.length(out->order[0]) : 0;
  out->step_offset.assign(size_t(steps) + 1, 0);
  int active = m;
  for (int t = 0; t < steps; ++t) {
    while (active > 0 && seg.length(out->order[size_t(active - 1)]) <= t) --active;
    out->step_offset[size_t(t) + 1] = out->step_offset[size_t(t)] + active;
  }
}

}  // namespace fenlei::nn
