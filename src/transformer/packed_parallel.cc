#include "transformer/packed_parallel.h"

#include <algorithm>

#include "transformer/packed_driver.h"

namespace fenlei::transformer {

int intra_op_tasks(const ThreadPool* pool, int64_t macs, int units, int64_t min_macs) {
  if (!pool || pool->size() <= 1 || units <= 1 || macs < min_macs) return 1;
  return std::min(pool->size(), units);
}

void split_range(int units, int tasks, int t, int* begin, int* end) {
  *begin = static_cast<int>(static_cast<int64_t>(units) * t / tasks);
  *end = static_cast<int>(static_cast<int64_t>(units) * (t + 1) / tasks);
}

namespace {

template <typename Call>
void split_panels(void (*fn)(const Call&), const Call& c, ThreadPool* pool, int64_t min_macs) {
  int pb, pe;  // the call's own panel range, split
  packed::panel_range(c, &pb, &pe);
  const int panels = pe - pb;
  const int64_t rows = std::max(c.rows, kMemoryBoundRows);
  const int tasks = intra_op_tasks(pool, rows * panels * kPanelWidth * c.w->k, panels, min_macs);
  if (tasks == 1) {
    fn(c);
    return;
  }
  pool->run(tasks, [&](int t) {
    Call part = c;
    split_range(panels, tasks, t, &part.panel_begin, &part.panel_end);
    part.panel_begin += pb;
    part.panel_end += pb;
    fn(part);
  });
}

}  // namespace

void packed_parallel(PackedF32Fn fn, const PackedCall& c, ThreadPool* pool, int64_t min_macs) {
  split_panels(fn, c, pool, min_macs);
}

void packed_parallel(PackedBf16Fn fn, const PackedBf16Call& c, ThreadPool* pool, int64_t min_macs) {
  split_panels(fn, c, pool, min_macs);
}

void packed_parallel(PackedInt8Fn fn, const PackedInt8Call& c, ThreadPool* pool, int64_t min_macs) {
  split_panels(fn, c, pool, min_macs);
}

}  // namespace fenlei::transformer
