// Per-thread scratch of the dpcnn layers (nn/dpcnn.h); part of nn::Workspace. Buffers only grow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fenlei::nn {

// An array that only grows and never initialises its elements. The pyramid writes every element
// it reads after a grow, so zero-filling (std::vector::resize) only touched fresh pages: with the
// batches' row counts varying (length-bucketed batches of 300 to 4,000 rows), the page faults
// and zero fills of regrowth were ~5% of a training step on long texts. A grow doubles the
// capacity; pages past what the largest batch writes stay untouched, so they cost no memory.
template <typename T>
class GrowOnlyArray {
 public:
  // At least n elements; the old contents are lost when it grows.
  T* grow(size_t n) {
    if (n > capacity_) {
      const size_t cap = n > 2 * capacity_ ? n : 2 * capacity_;
      data_.reset();
      data_.reset(new T[cap]);
      capacity_ = cap;
    }
    return data_.get();
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }

 private:
  std::unique_ptr<T[]> data_;
  size_t capacity_ = 0;
};

// One stage of the pyramid over the examples still active in it (rows of all of them stacked).
struct DpcnnStage {
  std::vector<int32_t> example;      // [m] index in the segment of each active example
  std::vector<int32_t> row_start;    // [m+1] first row of each active example
  GrowOnlyArray<float> x;            // [rows, C] stage input: region embedding, or pooled output
  GrowOnlyArray<int32_t> pool_src;   // [rows, C] row of the previous stage's h each max came from
  GrowOnlyArray<float> col1, col2;   // [rows, 3C] im2col of relu(x) and relu(c1) (inference)
  GrowOnlyArray<float> wino1, wino2;  // training: [4][tiles][C] Winograd windows of the same
  GrowOnlyArray<float> c1;           // [rows, C] first conv's output
  GrowOnlyArray<float> h;            // [rows, C] x + second conv's output
};

struct DpcnnScratch {
  GrowOnlyArray<float> col0;           // [rows, 3*dim] im2col of the embeddings (region conv)
  std::vector<DpcnnStage> stage;       // blocks + 1
  std::vector<int32_t> final_stage;    // [m] stage whose output feeds the example's feature
  std::vector<int32_t> final_row;      // [m] the example's first row in that stage
  GrowOnlyArray<int32_t> final_src;    // [m, C] row of that stage's h each feature came from
  GrowOnlyArray<float> dh, dnext, dtmp, dcol;  // backward buffers
  // Training (nn/winograd3.h): each stage conv's combined filters [2 * (blocks + 1)][2][C][C],
  // computed by the forward for the backward; the products' scratch; and whether the last
  // forward kept what dpcnn_backward reads (a training forward, not inference).
  GrowOnlyArray<float> wino_filters, wino_m, wino_dd, wino_dg;
  bool backward_ready = false;
};

}  // namespace fenlei::nn
