// Named parameter tensors (Params), their gradients (Grads, with sparse row tracking for
// embedding tables) and the helpers the trainer needs: sum per-thread grads, scale, clip, L2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fenlei/status.h"

namespace fenlei::nn {

// A named, contiguous, row-major float32 buffer. rows() is shape[0]; cols() the product of the
// remaining dimensions (1 for a vector).
//
// The values are owned (`data`), or, in a network loaded for inference from a mapped model
// file, borrowed read-only from the mapping (`borrowed`, `data` then empty): the weights are
// used in place instead of copied (core::NetworkEngine::load). Inference code reads values();
// code that writes or trains uses `data` and only ever sees owned tensors (the engine hands
// out an owned copy of a borrowed network: NetworkEngine::trainable_network).
struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
  const float* borrowed = nullptr;

  const float* values() const { return borrowed != nullptr ? borrowed : data.data(); }
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t cols() const;
  int64_t numel() const {
    return borrowed != nullptr ? shape_numel() : static_cast<int64_t>(data.size());
  }
  int64_t shape_numel() const;
  // Copies borrowed values into `data` (no-op for an owned tensor).
  void take_ownership();
};

// An ordered set of tensors. Order is insertion order and is part of the model: iteration,
// gradient summing and optimizer steps all follow it, which makes results reproducible.
// Not thread-safe for mutation; concurrent const reads are fine.
class Params {
 public:
  // Adds a zero-filled tensor and returns its index. Names must be unique (checked by assert;
  // the network builds names itself).
  int add(const std::string& name, std::vector<int64_t> shape);
  // Whether add() allocates zero-filled values (the default) or leaves `data` empty, for a
  // loader that fills or borrows every tensor next (zeroing a model-sized table costs a page
  // fault per 4 KiB for values that are thrown away).
  void set_zero_fill(bool on) { zero_fill_ = on; }
  int size() const { return static_cast<int>(tensors_.size()); }
  Tensor& operator[](int i) { return tensors_[i]; }
  const Tensor& operator[](int i) const { return tensors_[i]; }
  // -1 if absent.
  int index_of(const std::string& name) const;
  Tensor* find(const std::string& name);
  const Tensor* find(const std::string& name) const;
  int64_t total_elements() const;
  std::vector<Tensor>::iterator begin() { return tensors_.begin(); }
  std::vector<Tensor>::iterator end() { return tensors_.end(); }
  std::vector<Tensor>::const_iterator begin() const { return tensors_.begin(); }
  std::vector<Tensor>::const_iterator end() const { return tensors_.end(); }

  // Copies data from `other` matched by name; every tensor here must exist there with the same
  // shape (used when loading a model file or optimizer state).
  // Errors: kInvalidArgument naming the missing/mismatched tensor.
  Status copy_from(const Params& other);

 private:
  std::vector<Tensor> tensors_;
  bool zero_fill_ = true;
};

// Gradients mirroring a Params by index. Tensors marked sparse (embedding tables) store only
// the rows touched since the last zero(), packed in first-touch order: their Tensor keeps its
// name and shape but an empty `data`, so a vocabulary-sized table costs O(touched rows) in memory
// and in zero()/add()/norms, not O(vocab x dim) per training thread. Read and write their rows
// through touch_row()/row()/touched_row(); dense tensors keep using operator[].data.
// Not thread-safe: each training thread owns one Grads.
class Grads {
 public:
  Grads() = default;
  // Mirrors `params`; tensors whose names are listed in `sparse_names` get row storage.
  explicit Grads(const Params& params, const std::vector<std::string>& sparse_names = {});

  int size() const { return static_cast<int>(tensors_.size()); }
  Tensor& operator[](int i) { return tensors_[i]; }
  const Tensor& operator[](int i) const { return tensors_[i]; }
  bool is_sparse(int i) const { return sparse_[i].enabled; }
  // Rows touched since the last zero() (sparse tensors only), in first-touch order.
  const std::vector<int32_t>& touched_rows(int i) const { return sparse_[i].rows; }

  // Row `row` of tensor i, writable; a sparse tensor marks it touched and zero-fills it on first
  // touch. The pointer stays valid until the next row of the same tensor is first touched.
  float* touch_row(int i, int32_t row) {
    SparseRows& s = sparse_[i];
    if (!s.enabled) return tensors_[i].data.data() + size_t(row) * size_t(s.cols);
    int32_t slot = s.slot[size_t(row)];
    if (slot < 0) {
      slot = static_cast<int32_t>(s.rows.size());
      s.slot[size_t(row)] = slot;
      s.rows.push_back(row);
      s.values.resize(s.values.size() + size_t(s.cols), 0.0f);
    }
    return s.values.data() + size_t(slot) * size_t(s.cols);
  }
  // Row `row` of tensor i, or nullptr for an untouched row of a sparse tensor (all zeros).
  const float* row(int i, int32_t row) const {
    const SparseRows& s = sparse_[i];
    if (!s.enabled) return tensors_[i].data.data() + size_t(row) * size_t(s.cols);
    const int32_t slot = s.slot[size_t(row)];
    return slot < 0 ? nullptr : s.values.data() + size_t(slot) * size_t(s.cols);
  }
  // The k-th touched row of sparse tensor i (the row touched_rows(i)[k]).
  const float* touched_row(int i, size_t k) const {
    return sparse_[i].values.data() + k * size_t(sparse_[i].cols);
  }
  // Marks every row of tensor i touched (e.g. after a dense L2 term on an embedding).
  void touch_all_rows(int i);
  // Tensor i as a dense row-major copy (untouched rows zero): for tests and tools.
  std::vector<float> dense(int i) const;

  void zero();
  // Zeroes tensor i alone (and forgets its touched rows).
  void zero(int i);
  // this += other (same layout). Sparse tensors add only other's touched rows.
  void add(const Grads& other);
  // Part `part` of `parts` of add(): a contiguous range of every dense tensor's elements, and
  // (part 0) every sparse tensor, which grows touched-row storage. Disjoint memory per part, so
  // the parts may run concurrently; together they equal add() bit for bit.
  void add(const Grads& other, int part, int parts);
  void scale(float s);
  // sqrt(sum of squares) over everything, accumulated in double in tensor order.
  double global_norm() const;
  // Scales everything so the global norm is at most max_norm (no-op if max_norm <= 0).
  // Returns the norm before clipping.
  double clip_by_global_norm(double max_norm);

 private:
  struct SparseRows {
    bool enabled = false;
    int64_t cols = 1;
    std::vector<int32_t> slot;   // per row: index into `rows`, -1 if untouched
    std::vector<int32_t> rows;   // touched rows, first-touch order
    std::vector<float> values;   // rows.size() x cols, in the order of `rows`
  };
  std::vector<Tensor> tensors_;
  std::vector<SparseRows> sparse_;
};

// Adds the gradient of l2 * sum(w^2) for every tensor whose name ends in "/weight" (Keras'
// kernel_regularizer=l2(l2)), skipping embedding tables listed in `skip` (a dense L2 gradient on
// a vocabulary-sized table would defeat the sparse gradient; decay them with AdamW instead).
// Returns the L2 loss term. Call once per step, after summing thread gradients.
double add_l2_grad(const Params& params, float l2, const std::vector<std::string>& skip,
                   Grads& grads);

}  // namespace fenlei::nn
