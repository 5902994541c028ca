// Params and Grads.
#include "nn/params.h"

#include <cassert>
#include <cmath>
#include <cstring>

namespace fenlei::nn {

int64_t Tensor::shape_numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void Tensor::take_ownership() {
  if (borrowed == nullptr) return;
  data.assign(borrowed, borrowed + shape_numel());
  borrowed = nullptr;
}

int64_t Tensor::cols() const {
  int64_t c = 1;
  for (size_t i = 1; i < shape.size(); ++i) c *= shape[i];
  return c;
}

int Params::add(const std::string& name, std::vector<int64_t> shape) {
  assert(index_of(name) < 0 && "duplicate tensor name");
  Tensor t;
  t.name = name;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  t.shape = std::move(shape);
  if (zero_fill_) t.data.assign(static_cast<size_t>(n), 0.0f);
  tensors_.push_back(std::move(t));
  return size() - 1;
}

int Params::index_of(const std::string& name) const {
  for (int i = 0; i < size(); ++i)
    if (tensors_[i].name == name) return i;
  return -1;
}

Tensor* Params::find(const std::string& name) {
  int i = index_of(name);
  return i < 0 ? nullptr : &tensors_[i];
}

const Tensor* Params::find(const std::string& name) const {
  int i = index_of(name);
  return i < 0 ? nullptr : &tensors_[i];
}

int64_t Params::total_elements() const {
  int64_t n = 0;
  for (const Tensor& t : tensors_) n += t.numel();
  return n;
}

static std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

Status Params::copy_from(const Params& other) {
  for (Tensor& t : tensors_) {
    const Tensor* o = other.find(t.name);
    if (!o) return invalid_argument_error("tensor '" + t.name + "' missing");
    if (o->shape != t.shape)
      return invalid_argument_error("tensor '" + t.name + "' has shape " + shape_str(o->shape) +
                                    ", expected " + shape_str(t.shape));
  }
  for (Tensor& t : tensors_) t.data = other.find(t.name)->data;
  return Status();
}

Grads::Grads(const Params& params, const std::vector<std::string>& sparse_names) {
  tensors_.reserve(params.size());
  sparse_.resize(params.size());
  for (int i = 0; i < params.size(); ++i) {
    Tensor t;
    t.name = params[i].name;
    t.shape = params[i].shape;
    SparseRows& s = sparse_[i];
    s.cols = t.cols();
    for (const std::string& n : sparse_names) s.enabled |= (n == t.name);
    if (s.enabled) {
      s.slot.assign(static_cast<size_t>(t.rows()), -1);
    } else {
      t.data.assign(params[i].data.size(), 0.0f);
    }
    tensors_.push_back(std::move(t));
  }
}

void Grads::touch_all_rows(int i) {
  SparseRows& s = sparse_[i];
  if (!s.enabled) return;
  for (int32_t r = 0; r < static_cast<int32_t>(s.slot.size()); ++r) touch_row(i, r);
}

std::vector<float> Grads::dense(int i) const {
  const SparseRows& s = sparse_[i];
  if (!s.enabled) return tensors_[i].data;
  std::vector<float> out(s.slot.size() * size_t(s.cols), 0.0f);
  for (size_t k = 0; k < s.rows.size(); ++k)
    std::memcpy(out.data() + size_t(s.rows[k]) * size_t(s.cols), touched_row(i, k),
                sizeof(float) * size_t(s.cols));
  return out;
}

void Grads::zero(int i) {
  SparseRows& s = sparse_[i];
  if (s.enabled) {
    for (int32_t r : s.rows) s.slot[size_t(r)] = -1;
    s.rows.clear();
    s.values.clear();  // keeps its capacity: no allocation in the next step
  } else {
    std::fill(tensors_[i].data.begin(), tensors_[i].data.end(), 0.0f);
  }
}

void Grads::zero() {
  for (int i = 0; i < size(); ++i) zero(i);
}

void Grads::add(const Grads& other) { add(other, 0, 1); }

void Grads::add(const Grads& other, int part, int parts) {
  assert(other.size() == size());
  for (int i = 0; i < size(); ++i) {
    const int64_t c = sparse_[i].cols;
    if ((other.sparse_[i].enabled || sparse_[i].enabled) && part != 0) continue;
    if (other.sparse_[i].enabled) {
      const std::vector<int32_t>& rows = other.sparse_[i].rows;
      for (size_t k = 0; k < rows.size(); ++k) {
        float* __restrict d = touch_row(i, rows[k]);
        const float* __restrict s = other.touched_row(i, k);
        for (int64_t j = 0; j < c; ++j) d[j] += s[j];
      }
    } else if (sparse_[i].enabled) {
      const int32_t n = static_cast<int32_t>(sparse_[i].slot.size());
      for (int32_t r = 0; r < n; ++r) {
        float* __restrict d = touch_row(i, r);
        const float* __restrict s = other.tensors_[i].data.data() + size_t(r) * size_t(c);
        for (int64_t j = 0; j < c; ++j) d[j] += s[j];
      }
    } else {
      const size_t n = tensors_[i].data.size();
      const size_t begin = n * size_t(part) / size_t(parts),
                   end = n * size_t(part + 1) / size_t(parts);
      float* __restrict d = tensors_[i].data.data();
      const float* __restrict s = other.tensors_[i].data.data();
      for (size_t k = begin; k < end; ++k) d[k] += s[k];
    }
  }
}

void Grads::scale(float f) {
  for (int i = 0; i < size(); ++i) {
    std::vector<float>& v = sparse_[i].enabled ? sparse_[i].values : tensors_[i].data;
    for (float& x : v) x *= f;
  }
}

double Grads::global_norm() const {
  double ss = 0.0;
  for (int i = 0; i < size(); ++i) {
    const std::vector<float>& v = sparse_[i].enabled ? sparse_[i].values : tensors_[i].data;
    for (float x : v) ss += double(x) * x;
  }
  return std::sqrt(ss);
}

double Grads::clip_by_global_norm(double max_norm) {
  const double norm = global_norm();
  if (max_norm > 0 && norm > max_norm) scale(static_cast<float>(max_norm / norm));
  return norm;
}

double add_l2_grad(const Params& params, float l2, const std::vector<std::string>& skip,
                   Grads& grads) {
  if (l2 <= 0.0f) return 0.0;
  double loss = 0.0;
  for (int i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    const std::string& n = p.name;
    if (n.size() < 7 || n.compare(n.size() - 7, 7, "/weight") != 0) continue;
    bool skipped = false;
    for (const std::string& s : skip) skipped |= (s == n);
    if (skipped) continue;
    const int64_t c = p.cols();
    for (int32_t r = 0; r < static_cast<int32_t>(p.rows()); ++r) {
      float* g = grads.touch_row(i, r);
      const float* w = p.data.data() + size_t(r) * size_t(c);
      for (int64_t k = 0; k < c; ++k) {
        loss += double(w[k]) * w[k];
        g[k] += 2.0f * l2 * w[k];
      }
    }
  }
  return l2 * loss;
}

}  // namespace fenlei::nn
