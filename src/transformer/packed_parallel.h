// Intra-op parallelism for one text: a packed dense call's output panels split over the threads
// of a pool, so that a single text uses every thread it is given (the engines otherwise split
// only a batch's texts). Each thread runs the same kernel on a contiguous range of panels
// (PackedCall::panel_begin/end), so every output is computed exactly as one thread computes it:
// results are bit-identical for any number of threads. Calls too small to pay for waking the
// pool (rows x n x k below kMinParallelMacs) run on the caller's thread alone.
#pragma once

#include <cstdint>

#include "base/thread_pool.h"
#include "transformer/packed_dense.h"

namespace fenlei::transformer {

// About 0.1 ms of one core's work: waking a pool costs some tens of microseconds.
inline constexpr int64_t kMinParallelMacs = int64_t{1} << 21;

// How many tasks to split `macs` multiply-adds over `units` independent units (panels, heads):
// 1 without a pool, with one thread, or below min_macs (tests pass 0 to split tiny layers).
int intra_op_tasks(const ThreadPool* pool, int64_t macs, int units,
                   int64_t min_macs = kMinParallelMacs);

// fn(c), its panels split over `pool` when large enough (pool may be nullptr).
void packed_f32_parallel(PackedF32Fn fn, const PackedCall& c, ThreadPool* pool,
                         int64_t min_macs = kMinParallelMacs);

// Unit u of `units` split into `tasks` contiguous, near-equal ranges: [*begin, *end) of task t.
void split_range(int units, int tasks, int t, int* begin, int* end);

}  // namespace fenlei::transformer
