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
struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;

  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t cols() const;
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
};

// An ordered set of tensors. Order is insertion order and is part of the model: iteration,
// gradient summing and optimizer steps all follow it, which makes results reproducible.
// Not thread-safe for mutation; concurrent const reads are fine.
class Params {
 public:
  // Adds a zero-filled tensor and returns its index. Names must be unique (checked by assert;
  // the network builds names itself).
  int add(const std::string& name, std::vector<int64_t> shape);
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
};

// Gradients mirroring a Params by index. Tensors marked sparse (embedding tables) track which
// rows are non-zero so that zero()/add()/norms cost O(touched rows), not O(vocab). The dense
// buffer is always valid (untouched rows hold zeros), so optimizers may read it densely.
// Not thread-safe: each training thread owns one Grads.
class Grads {
 public:
  Grads() = default;
  // Mirrors `params`; tensors whose names are listed in `sparse_names` get row tracking.
  explicit Grads(const Params& params, const std::vector<std::string>& sparse_names = {});

  int size() const { return static_cast<int>(tensors_.size()); }
  Tensor& operator[](int i) { return tensors_[i]; }
  const Tensor& operator[](int i) const { return tensors_[i]; }
  bool is_sparse(int i) const { return sparse_[i].enabled; }
  // Rows touched since the last zero() (sparse tensors only), in first-touch order.
  const std::vector<int32_t>& touched_rows(int i) const { return sparse_[i].rows; }

  // Marks a row of a sparse tensor as (about to be) non-zero. No-op for dense tensors.
  void touch_row(int i, int32_t row) {
    SparseRows& s = sparse_[i];
    if (s.enabled && !s.mark[row]) {
      s.mark[row] = 1;
      s.rows.push_back(row);
    }
  }
  // Marks every row of tensor i touched (e.g. after a dense L2 term on an embedding).
  void touch_all_rows(int i);

  void zero();
  // this += other (same layout). Sparse tensors add only other's touched rows.
  void add(const Grads& other);
  void scale(float s);
  // sqrt(sum of squares) over everything, accumulated in double in tensor order.
  double global_norm() const;
  // Scales everything so the global norm is at most max_norm (no-op if max_norm <= 0).
  // Returns the norm before clipping.
  double clip_by_global_norm(double max_norm);

 private:
  struct SparseRows {
    bool enabled = false;
    std::vector<uint8_t> mark;   // one byte per row
    std::vector<int32_t> rows;   // touched rows
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
