#include "transformer/packed_parallel.h"

#include <algorithm>

namespace fenlei::transformer {

int intra_op_tasks(const ThreadPool* pool, int64_t macs, int units, int64_t min_macs) {
  if (!pool || pool->size() <= 1 || units <= 1 || macs < min_macs) return 1;
  return std::min(pool->size(), units);
}

void split_range(int units, int tasks, int t, int* begin, int* end) {
  *begin = static_cast<int>(static_cast<int64_t>(units) * t / tasks);
  *end = static_cast<int>(static_cast<int64_t>(units) * (t + 1) / tasks);
}

void packed_f32_parallel(PackedF32Fn fn, const PackedCall& c, ThreadPool* pool,
                         int64_t min_macs) {
  const int panels = (c.w->n + kPanelWidth - 1) / kPanelWidth;
  const int tasks = intra_op_tasks(pool, int64_t{c.rows} * c.w->n * c.w->k, panels, min_macs);
  if (tasks == 1) {
    fn(c);
    return;
  }
  pool->run(tasks, [&](int t) {
    PackedCall part = c;
    split_range(panels, tasks, t, &part.panel_begin, &part.panel_end);
    fn(part);
  });
}

}  // namespace fenlei::transformer
