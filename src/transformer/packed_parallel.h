// Intra-op parallelism for one text: a packed dense call's (float, bf16 or int8) output panels
// split over the threads of a pool, so that a single text uses every thread it is given (the
// engines otherwise split only a batch's texts). Each thread runs the same kernel on a
// contiguous range of panels (panel_begin/end of the call), so every output is computed exactly
// as one thread computes it: results are bit-identical for any number of threads. Calls too
// small to pay for waking the pool (rows x n x k below kMinParallelMacs) run on the caller's
// thread alone.
#pragma once

#include <cstdint>

#include "base/thread_pool.h"
#include "transformer/packed_bf16.h"
#include "transformer/packed_dense.h"
#include "transformer/packed_int8.h"

namespace fenlei::transformer {

// About 0.1 ms of one core's work: waking a pool costs some tens of microseconds.
inline constexpr int64_t kMinParallelMacs = int64_t{1} << 21;

// Below this many rows a packed call is bound by streaming its weights, not by its FMAs (one
// row: 2 FMAs per 128 bytes of panel; the last layer's [CLS] row ran at ~17 GB/s, ~1/10 of the
// 12-row tiles' multiply-add rate), so packed_parallel counts its work as this many rows': the
// last layer's 768 x 768 calls (the [CLS] query, the attention output; 2.4 MB each) split over
// the threads instead of one thread streaming them while the others wait.
inline constexpr int kMemoryBoundRows = 8;

// How long an intra-op pool's threads poll for the next layer before they sleep
// (ThreadPool's spin_microseconds). One text's forward pass is dozens of parallel-fors (every
// dense layer, every attention) a few to a few hundred microseconds apart; a wake-up through the
// kernel costs tens of microseconds each time, which on ELECTRA-small's 256-wide layers ate
// most of what a second thread gave. 100 µs covers the gaps inside one text; after its last
// layer the helpers go to sleep.
inline constexpr int kIntraOpSpinMicroseconds = 100;

// The threads one text's dense layers may use: `pool` (nullptr: the caller's thread alone) for
// calls of at least `min_macs` multiply-adds.
struct IntraOp {
  ThreadPool* pool = nullptr;
  int64_t min_macs = kMinParallelMacs;
};

// How a packed layer runs on rows already in its kernel's form (int8_linear.h's
// linear_int8_quantised, bf16_linear.h's linear_bf16_rounded): the epilogue, the output panels
// [panel_begin, panel_end) (panel_end < 0: to the last, as PackedCall), and the threads the
// panels split over.
struct PackedRun {
  PackedEpilogue epilogue = PackedEpilogue::kStore;
  int panel_begin = 0, panel_end = -1;
  IntraOp threads;
};

// How many tasks to split `macs` multiply-adds over `units` independent units (panels, heads):
// 1 without a pool, with one thread, or below min_macs (tests pass 0 to split tiny layers).
int intra_op_tasks(const ThreadPool* pool, int64_t macs, int units,
                   int64_t min_macs = kMinParallelMacs);

// fn(c), its panels split over `pool` when large enough (pool may be nullptr): when
// max(rows, kMemoryBoundRows) x n x k reaches min_macs.
void packed_parallel(PackedF32Fn fn, const PackedCall& c, ThreadPool* pool,
                     int64_t min_macs = kMinParallelMacs);
void packed_parallel(PackedBf16Fn fn, const PackedBf16Call& c, ThreadPool* pool,
                     int64_t min_macs = kMinParallelMacs);
void packed_parallel(PackedInt8Fn fn, const PackedInt8Call& c, ThreadPool* pool,
                     int64_t min_macs = kMinParallelMacs);

// Unit u of `units` split into `tasks` contiguous, near-equal ranges: [*begin, *end) of task t.
void split_range(int units, int tasks, int t, int* begin, int* end);

}  // namespace fenlei::transformer
