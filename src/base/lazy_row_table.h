// LazyRowTable<T>: a [rows, row_elems] table of T whose rows are computed on first use and then
// shared by every thread: the cache behind the per-token conv projections of the float and the
// int8 cnn engines (nn/token_projection, quant/int8_projection).
//
// Memory comes from an anonymous mapping, so rows never computed cost nothing (only the pages
// rows were written to become resident). Each row has an atomic state (empty, being written,
// ready): a caller computes the rows it needs that are not ready into its own buffer, and
// publish() copies each into the table under a compare-and-swap, then marks it ready with a
// release store. A caller that finds a row being written by another thread uses its own copy
// (row_or_own) instead of waiting, so readers never block. The owner must compute a row the
// same way whoever computes it (the projections use fixed-shape GEMMs for that), which makes
// results independent of the table's history.
//
//   LazyRowTable<float> table;
//   if (!table.allocate(vocab, row_floats)) { /* no mapping: keep the slow path */ }
//   table.find_missing(ids, n, /*also=*/0, &missing);    // sorted, unique, not ready
//   compute(missing) -> own[missing.size() * row_floats];
//   table.publish(missing, own);
//   const float* r = table.row_or_own(id, missing, own);
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace fenlei {

// The untyped part: the anonymous mapping (lazy_row_table.cc). nullptr when mmap fails.
void* map_zeroed_pages(size_t bytes);
void unmap_pages(void* addr, size_t bytes);

template <typename T>
class LazyRowTable {
 public:
  LazyRowTable() = default;
  ~LazyRowTable() {
    if (data_ != nullptr) unmap_pages(data_, bytes_);
  }
  LazyRowTable(const LazyRowTable&) = delete;
  LazyRowTable& operator=(const LazyRowTable&) = delete;

  // Reserves address space for rows x row_elems values, all rows empty. False (and the table
  // stays unusable) when the size is zero or the mapping cannot be made; callers then keep
  // their uncached path. Call once.
  bool allocate(int32_t rows, size_t row_elems) {
    const size_t bytes = size_t(std::max(rows, 0)) * row_elems * sizeof(T);
    if (bytes == 0 || data_ != nullptr) return false;
    void* mem = map_zeroed_pages(bytes);
    if (mem == nullptr) return false;
    data_ = static_cast<T*>(mem);
    bytes_ = bytes;
    rows_ = rows;
    row_elems_ = row_elems;
    state_.reset(new std::atomic<uint8_t>[size_t(rows)]());
    return true;
  }

  int32_t rows() const { return rows_; }
  size_t row_elems() const { return row_elems_; }
  size_t bytes() const { return bytes_; }
  bool ready(int32_t row) const {
    return state_[size_t(row)].load(std::memory_order_acquire) == kReady;
  }
  // Where row `id` lives, ready or not: for prefetching only (read it through row_or_own).
  const T* row_address(int32_t id) const { return data_ + size_t(id) * row_elems_; }
  // Rows ready so far (tests, diagnostics). O(rows).
  size_t rows_filled() const {
    size_t n = 0;
    for (int32_t r = 0; r < rows_; ++r) n += ready(r);
    return n;
  }

  // *missing = the sorted, distinct ids among ids[0, n) and `also` (a row every caller reads,
  // e.g. the padding id; -1 for none) whose rows are not ready.
  void find_missing(const int32_t* ids, size_t n, int32_t also,
                    std::vector<int32_t>* missing) const {
    missing->clear();
    if (also >= 0 && !ready(also)) missing->push_back(also);
    for (size_t i = 0; i < n; ++i)
      if (!ready(ids[i])) missing->push_back(ids[i]);
    if (missing->empty()) return;
    std::sort(missing->begin(), missing->end());
    missing->erase(std::unique(missing->begin(), missing->end()), missing->end());
  }

  // Copies own[m * row_elems ...] into row missing[m] for every row no other caller has
  // claimed, and marks it ready. Thread-safe.
  void publish(const std::vector<int32_t>& missing, const T* own) const {
    for (size_t m = 0; m < missing.size(); ++m) {
      const int32_t id = missing[m];
      uint8_t expected = kEmpty;
      if (state_[size_t(id)].compare_exchange_strong(expected, kWriting,
                                                     std::memory_order_acq_rel)) {
        std::memcpy(data_ + size_t(id) * row_elems_, own + m * row_elems_, row_elems_ * sizeof(T));
        state_[size_t(id)].store(kReady, std::memory_order_release);
      }
    }
  }

  // Row `id`: the table's when ready, else the caller's own copy (id must then be in `missing`,
  // the list it computed `own` for, i.e. it was not ready when the caller looked).
  const T* row_or_own(int32_t id, const std::vector<int32_t>& missing, const T* own) const {
    if (ready(id)) return data_ + size_t(id) * row_elems_;
    const auto it = std::lower_bound(missing.begin(), missing.end(), id);
    return own + size_t(it - missing.begin()) * row_elems_;
  }

  // Computes and publishes the rows [0, limit) not yet ready, `slice` rows per call of
  // compute(missing) (so the caller's buffers stay small however large the table), where
  // compute fills its own buffer for the sorted ids and publishes them. Thread-safe.
  template <typename Compute>
  void fill_first(int32_t limit, int32_t slice, std::vector<int32_t>* missing,
                  Compute&& compute) const {
    limit = std::min(limit, rows_);
    for (int32_t begin = 0; begin < limit; begin += slice) {
      missing->clear();
      for (int32_t id = begin; id < std::min(limit, begin + slice); ++id)
        if (!ready(id)) missing->push_back(id);
      if (!missing->empty()) compute(*missing);
    }
  }

 private:
  static constexpr uint8_t kEmpty = 0, kWriting = 1, kReady = 2;

  T* data_ = nullptr;
  size_t bytes_ = 0;
  int32_t rows_ = 0;
  size_t row_elems_ = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> state_;  // per row: kEmpty, kWriting, kReady
};

}  // namespace fenlei
