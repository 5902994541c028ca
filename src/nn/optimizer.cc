// Adam, AdamW, SGD.
#include "nn/optimizer.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>

namespace fenlei::nn {

StatusOr<OptimizerKind> parse_optimizer_kind(const std::string& s) {
  if (s == "adam") return OptimizerKind::kAdam;
  if (s == "adamw") return OptimizerKind::kAdamW;
  if (s == "sgd") return OptimizerKind::kSgd;
  return invalid_argument_error("unknown optimizer '" + s + "' (expected adam, adamw or sgd)");
}

const char* optimizer_kind_name(OptimizerKind k) {
  switch (k) {
    case OptimizerKind::kAdam: return "adam";
    case OptimizerKind::kAdamW: return "adamw";
    case OptimizerKind::kSgd: return "sgd";
  }
  return "adam";
}

Status OptimizerConfig::validate() const {
  auto bad = [](const std::string& m) { return invalid_argument_error("optimizer: " + m); };
  if (!(beta1 >= 0.0f && beta1 < 1.0f)) return bad("beta1 must be in [0, 1)");
  if (!(beta2 >= 0.0f && beta2 < 1.0f)) return bad("beta2 must be in [0, 1)");
  if (!(epsilon > 0.0f)) return bad("epsilon must be > 0");
  if (!(weight_decay >= 0.0f && weight_decay < 1.0f)) return bad("weight_decay must be in [0, 1)");
  if (!(momentum >= 0.0f && momentum < 1.0f)) return bad("momentum must be in [0, 1)");
  return Status();
}

StatusOr<Optimizer> Optimizer::create(const OptimizerConfig& config, const Params& params) {
  FENLEI_RETURN_IF_ERROR(config.validate());
  Optimizer o;
  o.config_ = config;
  for (const Tensor& t : params) {
    if (config.kind != OptimizerKind::kSgd || config.momentum > 0.0f) o.m_.add(t.name, t.shape);
    if (config.kind != OptimizerKind::kSgd) o.v_.add(t.name, t.shape);
  }
  o.lazy_.resize(static_cast<size_t>(params.size()));
  if (config.kind != OptimizerKind::kSgd && config.lazy_embeddings) {
    // Which tables get sparse gradients is known at the first step: allocate nothing yet.
    for (int i = 0; i < o.m_.size(); ++i) {
      std::vector<float>().swap(o.m_[i].data);
      std::vector<float>().swap(o.v_[i].data);
    }
  }
  return o;
}

float* Optimizer::RowMoments::row(int32_t r) {
  int32_t& s = slot[static_cast<size_t>(r)];
  if (s < 0) {
    if (used % kRowsPerBlock == 0) {
      blocks.emplace_back(static_cast<size_t>(kRowsPerBlock) * 2 * static_cast<size_t>(cols),
                          0.0f);
    }
    s = used++;
  }
  return blocks[static_cast<size_t>(s / kRowsPerBlock)].data() +
         static_cast<size_t>(s % kRowsPerBlock) * 2 * static_cast<size_t>(cols);
}

const float* Optimizer::RowMoments::find(int32_t r) const {
  const int32_t s = slot[static_cast<size_t>(r)];
  if (s < 0) return nullptr;
  return blocks[static_cast<size_t>(s / kRowsPerBlock)].data() +
         static_cast<size_t>(s % kRowsPerBlock) * 2 * static_cast<size_t>(cols);
}

void Optimizer::ensure_dense(int i) {
  Tensor& m = m_[i];
  Tensor& v = v_[i];
  const size_t n = static_cast<size_t>(std::max<int64_t>(0, m.rows() * m.cols()));
  if (m.data.size() == n) return;
  m.data.assign(n, 0.0f);
  v.data.assign(n, 0.0f);
  RowMoments& lazy = lazy_[static_cast<size_t>(i)];
  if (lazy.cols == 0) return;
  const size_t cols = static_cast<size_t>(lazy.cols);
  for (int32_t r = 0; r < static_cast<int32_t>(lazy.slot.size()); ++r) {
    if (const float* mv = lazy.find(r)) {
      std::copy(mv, mv + cols, m.data.begin() + static_cast<std::ptrdiff_t>(size_t(r) * cols));
      std::copy(mv + cols, mv + 2 * cols,
                v.data.begin() + static_cast<std::ptrdiff_t>(size_t(r) * cols));
    }
  }
  lazy = RowMoments();
}

void Optimizer::ensure_row_lazy(int i) {
  RowMoments& lazy = lazy_[static_cast<size_t>(i)];
  if (lazy.cols > 0) return;
  Tensor& m = m_[i];
  Tensor& v = v_[i];
  lazy.cols = m.cols();
  lazy.slot.assign(static_cast<size_t>(m.rows()), -1);
  if (!m.data.empty()) {  // restored from a checkpoint: keep the rows that hold anything
    const size_t cols = static_cast<size_t>(lazy.cols);
    for (int32_t r = 0; r < static_cast<int32_t>(m.rows()); ++r) {
      const float* mr = m.data.data() + size_t(r) * cols;
      const float* vr = v.data.data() + size_t(r) * cols;
      bool any = false;
      for (size_t j = 0; j < cols && !any; ++j) any = mr[j] != 0.0f || vr[j] != 0.0f;
      if (!any) continue;
      float* mv = lazy.row(r);
      std::copy(mr, mr + cols, mv);
      std::copy(vr, vr + cols, mv + cols);
    }
  }
  std::vector<float>().swap(m.data);
  std::vector<float>().swap(v.data);
}

static bool is_bias(const std::string& n) {
  return n.size() >= 5 && n.compare(n.size() - 5, 5, "/bias") == 0;
}

namespace {

struct AdamConsts {
  float b1, b2, one_b1, one_b2, eps, lr_t;
};

// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr_t m / (sqrt(v) + eps), n elements.
void adam_update(const AdamConsts& c, const float* __restrict g, float* __restrict p,
                 float* __restrict m, float* __restrict v, size_t n) {
  size_t k = 0;
#if defined(__SSE2__)
  // Why intrinsics: under the default -fmath-errno GCC keeps a scalar errno path around
  // std::sqrt and will not vectorise this loop (the embedding table makes it the largest loop
  // of a step). SSE is in the x86-64 baseline, so no build flags are needed. Same operations in
  // the same order as the scalar tail, so results do not depend on alignment.
  const __m128 vb1 = _mm_set1_ps(c.b1), vb2 = _mm_set1_ps(c.b2), v1b1 = _mm_set1_ps(c.one_b1),
               v1b2 = _mm_set1_ps(c.one_b2), veps = _mm_set1_ps(c.eps), vlr = _mm_set1_ps(c.lr_t);
  for (; k + 4 <= n; k += 4) {
    const __m128 gk = _mm_loadu_ps(g + k);
    const __m128 mk = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(m + k)), _mm_mul_ps(v1b1, gk));
    const __m128 vk = _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(v + k)),
                                 _mm_mul_ps(v1b2, _mm_mul_ps(gk, gk)));
    _mm_storeu_ps(m + k, mk);
    _mm_storeu_ps(v + k, vk);
    const __m128 upd = _mm_div_ps(_mm_mul_ps(vlr, mk), _mm_add_ps(_mm_sqrt_ps(vk), veps));
    _mm_storeu_ps(p + k, _mm_sub_ps(_mm_loadu_ps(p + k), upd));
  }
#endif
  for (; k < n; ++k) {
    m[k] = c.b1 * m[k] + c.one_b1 * g[k];
    v[k] = c.b2 * v[k] + c.one_b2 * (g[k] * g[k]);
    p[k] -= c.lr_t * m[k] / (std::sqrt(v[k]) + c.eps);
  }
}

}  // namespace

namespace {
// Part `part` of `parts` of [0, n): contiguous, in multiples of 64 elements (whole 16-float
// vectors whatever the kernel's width), so every element sees the same operations as in one range.
void part_range(size_t n, int part, int parts, size_t* begin, size_t* end) {
  const size_t blocks = (n + 63) / 64;
  *begin = std::min(n, blocks * size_t(part) / size_t(parts) * 64);
  *end = std::min(n, blocks * size_t(part + 1) / size_t(parts) * 64);
}
}  // namespace

void Optimizer::step(Params& params, const Grads& grads, float lr) {
  begin_step(params, grads);
  update(params, grads, lr, 0, 1);
}

void Optimizer::step(Params& params, const Grads& grads, float lr, int parts,
                     const std::function<void(int parts, const std::function<void(int)>&)>& run) {
  begin_step(params, grads);
  run(parts, [&](int part) { update(params, grads, lr, part, parts); });
}

void Optimizer::begin_step(const Params& params, const Grads& grads) {
  ++iterations_;
  // A sparse gradient stores only its touched rows; untouched rows read as this zero row, so the
  // dense update below runs the same operations on the same values as with a dense buffer.
  size_t max_cols = 0;
  for (const Tensor& t : params) max_cols = std::max(max_cols, static_cast<size_t>(t.cols()));
  zero_row_.assign(max_cols, 0.0f);
  if (config_.kind == OptimizerKind::kSgd) return;
  // Moment storage is decided here, before any part runs (the parts only write into it).
  for (int i = 0; i < params.size(); ++i) {
    if (config_.lazy_embeddings && grads.is_sparse(i)) {
      ensure_row_lazy(i);
    } else {
      ensure_dense(i);
    }
  }
}

void Optimizer::update(Params& params, const Grads& grads, float lr, int part, int parts) {
  const OptimizerConfig& c = config_;
  // Row r of tensor i's gradient (any tensor: a dense one is one row of `cols` per shape[0]).
  auto grad_row = [&](int i, int32_t r) {
    const float* g = grads.row(i, r);
    return g ? g : zero_row_.data();
  };
  // This part's rows [*r0, *r1) of a tensor of `rows` rows (whole rows: a sparse gradient is
  // read per row).
  auto row_range = [&](int32_t rows, int32_t* r0, int32_t* r1) {
    size_t b, e;
    part_range(size_t(rows), part, parts, &b, &e);
    *r0 = static_cast<int32_t>(b);
    *r1 = static_cast<int32_t>(e);
  };
  if (c.kind == OptimizerKind::kSgd) {
    for (int i = 0; i < params.size(); ++i) {
      const size_t cols = static_cast<size_t>(params[i].cols());
      if (cols == 0) continue;
      const int32_t rows = static_cast<int32_t>(params[i].data.size() / cols);
      int32_t r0, r1;
      row_range(rows, &r0, &r1);
      for (int32_t r = r0; r < r1; ++r) {
        float* __restrict p = params[i].data.data() + size_t(r) * cols;
        const float* __restrict g = grad_row(i, r);
        if (m_.size() == 0) {
          for (size_t k = 0; k < cols; ++k) p[k] -= lr * g[k];
          continue;
        }
        float* __restrict vel = m_[i].data.data() + size_t(r) * cols;
        const float mu = c.momentum;
        for (size_t k = 0; k < cols; ++k) {
          vel[k] = mu * vel[k] - lr * g[k];
          p[k] += c.nesterov ? mu * vel[k] - lr * g[k] : vel[k];
        }
      }
    }
    return;
  }
  const double t = static_cast<double>(iterations_);
  const float lr_t = static_cast<float>(lr * std::sqrt(1.0 - std::pow(double(c.beta2), t)) /
                                        (1.0 - std::pow(double(c.beta1), t)));
  const AdamConsts k{c.beta1, c.beta2, 1.0f - c.beta1, 1.0f - c.beta2, c.epsilon, lr_t};
  for (int i = 0; i < params.size(); ++i) {
    const bool row_lazy = c.lazy_embeddings && grads.is_sparse(i);
    float* p = params[i].data.data();
    float* m = m_[i].data.data();
    float* v = v_[i].data.data();
    const size_t n = params[i].data.size();
    const bool decay = c.kind == OptimizerKind::kAdamW && c.weight_decay > 0.0f &&
                       !is_bias(params[i].name);
    if (grads.is_sparse(i)) {
      const size_t cols = static_cast<size_t>(params[i].cols());
      if (row_lazy) {
        // Row moments are created on first use (not thread-safe): one part does them all.
        if (part != 0) continue;
        RowMoments& lazy = lazy_[static_cast<size_t>(i)];
        const std::vector<int32_t>& rows = grads.touched_rows(i);
        for (size_t j = 0; j < rows.size(); ++j) {
          const int32_t r = rows[j];
          const size_t o = size_t(r) * cols;
          if (decay)
            for (size_t q = 0; q < cols; ++q) p[o + q] *= 1.0f - lr * c.weight_decay;
          float* mv = lazy.row(r);
          adam_update(k, grads.touched_row(i, j), p + o, mv, mv + cols, cols);
        }
      } else {
        int32_t r0, r1;
        row_range(static_cast<int32_t>(params[i].rows()), &r0, &r1);
        for (int32_t r = r0; r < r1; ++r) {
          const size_t o = size_t(r) * cols;
          if (decay)
            for (size_t j = 0; j < cols; ++j) p[o + j] *= 1.0f - lr * c.weight_decay;
          adam_update(k, grad_row(i, r), p + o, m + o, v + o, cols);
        }
      }
      continue;
    }
    size_t b, e;
    part_range(n, part, parts, &b, &e);
    const float* g = grads[i].data.data();
    if (decay) {
      const float f = 1.0f - lr * c.weight_decay;
      for (size_t j = b; j < e; ++j) p[j] *= f;
    }
    adam_update(k, g + b, p + b, m + b, v + b, e - b);
  }
}

Params Optimizer::export_state() const {
  Params s;
  const bool sgd = config_.kind == OptimizerKind::kSgd;
  for (const Tensor& t : m_) s.add((sgd ? "sgd/velocity/" : "adam/m/") + t.name, t.shape)
      ;
  for (const Tensor& t : v_) s.add("adam/v/" + t.name, t.shape);
  // Moments not allocated yet, or held per row, are exported densely (zeros where none exist).
  auto dense = [&](const Tensor& t, int i, bool second) {
    const size_t n = static_cast<size_t>(std::max<int64_t>(0, t.rows() * t.cols()));
    if (t.data.size() == n) return t.data;
    std::vector<float> out(n, 0.0f);
    const RowMoments* lazy = i < static_cast<int>(lazy_.size()) ? &lazy_[size_t(i)] : nullptr;
    if (!lazy || lazy->cols == 0) return out;
    const size_t cols = static_cast<size_t>(lazy->cols);
    for (int32_t r = 0; r < static_cast<int32_t>(lazy->slot.size()); ++r) {
      if (const float* mv = lazy->find(r)) {
        const float* src = second ? mv + cols : mv;
        std::copy(src, src + cols, out.begin() + static_cast<std::ptrdiff_t>(size_t(r) * cols));
      }
    }
    return out;
  };
  int k = 0;
  for (int i = 0; i < m_.size(); ++i) s[k++].data = dense(m_[i], i, false);
  for (int i = 0; i < v_.size(); ++i) s[k++].data = dense(v_[i], i, true);
  const int it = s.add("optimizer/iterations", {2});
  s[it].data[0] = static_cast<float>(iterations_ & 0xffffff);
  s[it].data[1] = static_cast<float>(iterations_ >> 24);
  return s;
}

Status Optimizer::import_state(const Params& state) {
  const bool sgd = config_.kind == OptimizerKind::kSgd;
  auto load = [&](Params& dst, const std::string& prefix) -> Status {
    Params renamed;
    for (const Tensor& t : dst) {
      const Tensor* src = state.find(prefix + t.name);
      if (!src) return invalid_argument_error("optimizer state: tensor '" + prefix + t.name +
                                              "' missing");
      renamed.add(t.name, src->shape);
      renamed[renamed.size() - 1].data = src->data;
    }
    return dst.copy_from(renamed).with_context("optimizer state");
  };
  const Tensor* it = state.find("optimizer/iterations");
  if (!it || it->data.size() != 2 || !(it->data[0] >= 0) || !(it->data[1] >= 0) ||
      it->data[0] >= 16777216.0f)
    return invalid_argument_error("optimizer state: missing or bad 'optimizer/iterations'");
  Params m = m_, v = v_;
  FENLEI_RETURN_IF_ERROR(load(m, sgd ? "sgd/velocity/" : "adam/m/"));
  FENLEI_RETURN_IF_ERROR(load(v, "adam/v/"));
  m_ = std::move(m);
  v_ = std::move(v);
  // Dense from here; the next step makes row-lazy tables lazy again, keeping non-zero rows.
  lazy_.assign(static_cast<size_t>(m_.size()), RowMoments());
  iterations_ = static_cast<int64_t>(it->data[0]) + (static_cast<int64_t>(it->data[1]) << 24);
  return Status();
}

}  // namespace fenlei::nn
