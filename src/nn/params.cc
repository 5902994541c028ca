// Params and Grads.
#include "nn/params.h"

#include <cassert>
#include <cmath>
#include <cstring>

namespace fenlei::nn {

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
  t.data.assign(static_cast<size_t>(n), 0.0f);
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
    t.data.assign(params[i].data.size(), 0.0f);
    for (const std::string& s : sparse_names) {
      if (s == t.name) {
        sparse_[i].enabled = true;
        sparse_[i].mark.assign(static_cast<size_t>(t.rows()), 0);
      }
    }
    tensors_.push_back(std::move(t));
  }
}

void Grads::touch_all_rows(int i) {
  SparseRows& s = sparse_[i];
  if (!s.enabled) return;
  for (int32_t r = 0; r < static_cast<int32_t>(s.mark.size()); ++r) touch_row(i, r);
}

void Grads::zero() {
  for (int i = 0; i < size(); ++i) {
    Tensor& t = tensors_[i];
    SparseRows& s = sparse_[i];
    if (s.enabled) {
      const int64_t c = t.cols();
      for (int32_t r : s.rows) {
        std::memset(t.data.data() + r * c, 0, sizeof(float) * c);
        s.mark[r] = 0;
      }
      s.rows.clear();
    } else {
      std::fill(t.data.begin(), t.data.end(), 0.0f);
    }
  }
}

void Grads::add(const Grads& other) {
  assert(other.size() == size());
  for (int i = 0; i < size(); ++i) {
    Tensor& t = tensors_[i];
    const Tensor& o = other.tensors_[i];
    if (sparse_[i].enabled && other.sparse_[i].enabled) {
      const int64_t c = t.cols();
      for (int32_t r : other.sparse_[i].rows) {
        touch_row(i, r);
        float* __restrict d = t.data.data() + r * c;
        const float* __restrict s = o.data.data() + r * c;
        for (int64_t k = 0; k < c; ++k) d[k] += s[k];
      }
    } else {
      if (sparse_[i].enabled) touch_all_rows(i);
      float* __restrict d = t.data.data();
      const float* __restrict s = o.data.data();
      const size_t n = t.data.size();
      for (size_t k = 0; k < n; ++k) d[k] += s[k];
    }
  }
}

void Grads::scale(float f) {
  for (int i = 0; i < size(); ++i) {
    Tensor& t = tensors_[i];
    if (sparse_[i].enabled) {
      const int64_t c = t.cols();
      for (int32_t r : sparse_[i].rows)
        for (int64_t k = 0; k < c; ++k) t.data[r * c + k] *= f;
    } else {
      for (float& x : t.data) x *= f;
    }
  }
}

double Grads::global_norm() const {
  double ss = 0.0;
  for (int i = 0; i < size(); ++i) {
    const Tensor& t = tensors_[i];
    if (sparse_[i].enabled) {
      const int64_t c = t.cols();
      for (int32_t r : sparse_[i].rows)
        for (int64_t k = 0; k < c; ++k) ss += double(t.data[r * c + k]) * t.data[r * c + k];
    } else {
      for (float x : t.data) ss += double(x) * x;
    }
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
    grads.touch_all_rows(i);
    Tensor& g = grads[i];
    for (size_t k = 0; k < p.data.size(); ++k) {
      loss += double(p.data[k]) * p.data[k];
      g.data[k] += 2.0f * l2 * p.data[k];
    }
  }
  return l2 * loss;
}

}  // namespace fenlei::nn
