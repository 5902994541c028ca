// Network construction and the forward/backward/predict passes over ragged batches.
#include "nn/network.h"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <mutex>

#include "nn/activation.h"
#include "nn/conv1d.h"
#include "nn/dense.h"
#include "nn/embedding.h"
#include "nn/loss.h"
#include "nn/recurrent_encoder.h"
#include "nn/recurrent_token_projection.h"
#include "nn/token_projection.h"

namespace fenlei::nn {

void use_single_threaded_blas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

Network Network::build(const ModelConfig& c, bool zero_fill) {
  Network n;
  n.config_ = c;
  n.params_.set_zero_fill(zero_fill);
  const int64_t d = c.embed_dim;
  n.embed_ = n.params_.add("embed/weight", {c.vocab_size, d});
  if (c.arch == Arch::kFastText && c.bigram_buckets > 0)
    n.bigram_ = n.params_.add("bigram/weight", {c.bigram_buckets, d});
  if (c.arch == Arch::kDpcnn) n.dpcnn_ = add_dpcnn_params(c, n.params_);
  for (int w : c.widths) {
    const std::string p = "conv" + std::to_string(w);
    ConvIndex ci;
    ci.width = w;
    ci.weight = n.params_.add(p + "/weight", {c.filters, int64_t(w) * d});
    ci.bias = n.params_.add(p + "/bias", {c.filters});
    n.conv_.push_back(ci);
  }
  if (c.recurrent()) n.recurrent_ = add_recurrent_params(c, &n.params_);
  int in = c.feature_dim();
  for (size_t l = 0; l <= c.hidden.size(); ++l) {
    const bool last = l == c.hidden.size();
    const int out = last ? c.output_units() : c.hidden[l];
    const std::string p = last ? "out" : "fc" + std::to_string(l + 1);
    DenseIndex di;
    di.in = in;
    di.out = out;
    di.weight = n.params_.add(p + "/weight", {out, in});
    di.bias = n.params_.add(p + "/bias", {out});
    n.dense_.push_back(di);
    in = out;
  }
  n.params_.set_zero_fill(true);
  return n;
}

StatusOr<Network> Network::create(const ModelConfig& config, uint64_t seed) {
  FENLEI_ASSIGN_OR_RETURN(Network n, allocate(config));
  Rng rng(seed);
  auto uniform = [&rng](Tensor& t, float limit) {
    for (float& x : t.data) x = rng.uniform(-limit, limit);
  };
  uniform(n.params_[n.embed_], 0.05f);
  if (n.bigram_ >= 0) uniform(n.params_[n.bigram_], 0.05f);
  if (config.arch == Arch::kDpcnn) init_dpcnn_params(config, n.dpcnn_, rng, n.params_);
  for (const ConvIndex& ci : n.conv_) {
    // Keras Conv1D glorot: fan_in = width*in_channels, fan_out = width*filters.
    const double fan_in = double(ci.width) * config.embed_dim;
    const double fan_out = double(ci.width) * config.filters;
    uniform(n.params_[ci.weight], static_cast<float>(std::sqrt(6.0 / (fan_in + fan_out))));
  }
  if (config.recurrent()) init_recurrent_params(config, n.recurrent_, &n.params_, &rng);
  for (const DenseIndex& di : n.dense_)
    uniform(n.params_[di.weight], static_cast<float>(std::sqrt(6.0 / (di.in + di.out))));
  return n;
}

StatusOr<Network> Network::allocate(const ModelConfig& config) {
  FENLEI_RETURN_IF_ERROR(config.validate());
  use_single_threaded_blas();
  return build(config);
}

StatusOr<Network> Network::allocate_empty(const ModelConfig& config) {
  FENLEI_RETURN_IF_ERROR(config.validate());
  use_single_threaded_blas();
  return build(config, /*zero_fill=*/false);
}

StatusOr<Network> Network::from_params(const ModelConfig& config, const Params& params) {
  FENLEI_ASSIGN_OR_RETURN(Network n, allocate(config));
  FENLEI_RETURN_IF_ERROR(n.params_.copy_from(params));
  for (const Tensor& t : params)
    if (n.params_.index_of(t.name) < 0)
      return invalid_argument_error("unexpected tensor '" + t.name + "' for this model config");
  return n;
}

Grads Network::make_grads() const { return Grads(params_, embedding_names()); }

std::vector<std::string> Network::embedding_names() const {
  std::vector<std::string> names{"embed/weight"};
  if (bigram_ >= 0) names.push_back("bigram/weight");
  return names;
}

Status Network::validate_batch(const Batch& b, bool need_labels) const {
  const size_t n = b.size();
  if (b.offsets.empty() || b.offsets[0] != 0)
    return invalid_argument_error("batch: offsets must start with 0");
  if (size_t(b.offsets.back()) != b.ids.size())
    return invalid_argument_error("batch: last offset must equal the number of ids");
  for (size_t i = 0; i < n; ++i)
    if (b.offsets[i + 1] < b.offsets[i])
      return invalid_argument_error("batch: offsets decrease at example " + std::to_string(i));
  for (size_t k = 0; k < b.ids.size(); ++k)
    if (b.ids[k] < 0 || b.ids[k] >= config_.vocab_size)
      return invalid_argument_error("batch: token id " + std::to_string(b.ids[k]) +
                                    " out of range [0, " + std::to_string(config_.vocab_size) +
                                    ")");
  if (need_labels) {
    if (b.labels.size() != n) return invalid_argument_error("batch: one label per example needed");
    for (size_t i = 0; i < n; ++i)
      if (b.labels[i] < 0 || b.labels[i] >= config_.num_classes)
        return invalid_argument_error("batch: label " + std::to_string(b.labels[i]) +
                                      " of example " + std::to_string(i) + " out of range");
    if (config_.multi_label()) {
      if (b.label_set_offsets.size() != n + 1 || b.label_set_offsets[0] != 0 ||
          size_t(b.label_set_offsets.back()) != b.label_sets.size())
        return invalid_argument_error("batch: a multi-label model needs one label set per example");
      for (size_t i = 0; i < n; ++i) {
        if (b.label_set_offsets[i + 1] < b.label_set_offsets[i])
          return invalid_argument_error("batch: label sets decrease at example " +
                                        std::to_string(i));
        for (int32_t k = b.label_set_offsets[i]; k < b.label_set_offsets[i + 1]; ++k) {
          const int32_t y = b.label_sets[size_t(k)];
          if (y < 0 || y >= config_.num_classes)
            return invalid_argument_error("batch: label " + std::to_string(y) + " of example " +
                                          std::to_string(i) + " out of range");
          for (int32_t j = b.label_set_offsets[i]; j < k; ++j)
            if (b.label_sets[size_t(j)] == y)
              return invalid_argument_error("batch: label " + std::to_string(y) +
                                            " repeated in example " + std::to_string(i));
        }
      }
    }
    if (b.has_soft_targets() &&
        (b.soft_weights.size() != n ||
         b.soft_targets.size() != n * size_t(config_.num_classes) ||
         !(b.soft_temperature > 0.0f) || config_.multi_label()))
      return invalid_argument_error("batch: soft targets need one distribution of num_classes "
                                    "per example, a temperature > 0 and a single-label model");
  }
  if (!b.weights.empty()) {
    if (b.weights.size() != n) return invalid_argument_error("batch: one weight per example");
    for (size_t i = 0; i < n; ++i)
      if (!(b.weights[i] >= 0.0f) || !std::isfinite(b.weights[i]))
        return invalid_argument_error("batch: weight of example " + std::to_string(i) +
                                      " must be finite and >= 0");
  }
  return Status();
}

namespace {

// Dropout mask for `n` features of example `example` (index in the whole batch) at `layer`.
void make_mask(const Rng& rng, size_t example, int layer, float rate, int n, uint8_t* keep) {
  const uint64_t key = rng.dropout_key(example, uint64_t(layer));
  const uint32_t threshold = static_cast<uint32_t>(rate * 16777216.0f);
  for (int j = 0; j < n; ++j) {
    const uint32_t u = static_cast<uint32_t>(mix64(key + uint64_t(j) * 0x9e3779b97f4a7c15ULL) >> 40);
    keep[j] = u >= threshold;
  }
}

// y = keep ? x/(1-rate) : 0 (overwrite; y may alias x).
void apply_mask(const float* x, const uint8_t* keep, float rate, int64_t n, float* y) {
  const float s = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < n; ++i) y[i] = keep[i] ? x[i] * s : 0.0f;
}

// Features of examples [begin, begin+m) into ws.feat [m, feature_dim]. `inference`: no backward
// follows, so a dpcnn need not keep the whole batch's stages (dpcnn_infer).
void features_forward(const Network& net, const Batch& b, size_t begin, int m, Workspace& ws,
                      const TokenProjection* projection = nullptr,
                      const RecurrentTokenProjection* recurrent = nullptr,
                      const DpcnnOps* dpcnn_ops = nullptr, bool inference = false) {
  const ModelConfig& c = net.config();
  const Params& p = net.params();
  const int fd = c.feature_dim();
  float* feat = grow(ws.feat, size_t(m) * fd);
  const float* table = p[net.embed_index()].values();  // values(): weights may be borrowed
  Segment seg{b.ids.data() + b.offsets[begin], b.offsets.data() + begin, m};
  if (projection != nullptr) {
    projection->features(seg, ws.projection, feat, fd);
  } else if (c.recurrent()) {
    recurrent_features_forward(net, seg, ws.recurrent, feat, fd, nullptr, nullptr, recurrent);
  } else if (c.arch == Arch::kDpcnn && dpcnn_ops != nullptr) {
    dpcnn_infer_ops(c.embed_dim, c.filters, c.blocks, *dpcnn_ops, seg, ws.dpcnn, feat, fd);
  } else if (c.arch == Arch::kDpcnn && inference) {
    dpcnn_infer(c, p, net.dpcnn(), net.embed_index(), seg, ws.dpcnn, feat, fd);
  } else if (c.arch == Arch::kDpcnn) {
    dpcnn_forward(c, p, net.dpcnn(), net.embed_index(), seg, ws.dpcnn, feat, fd);
  } else if (c.arch == Arch::kCnn) {
    if (ws.conv.size() < net.conv_layers().size()) ws.conv.resize(net.conv_layers().size());
    for (size_t wi = 0; wi < net.conv_layers().size(); ++wi) {
      const Network::ConvIndex& ci = net.conv_layers()[wi];
      conv_pool_forward(table, c.embed_dim, p[ci.weight].values(), p[ci.bias].values(),
                        ci.width, c.filters, seg, ws.conv[wi], feat + wi * c.filters, fd);
    }
  } else {
    const float* bt = net.bigram_index() >= 0 ? p[net.bigram_index()].values() : nullptr;
    for (int i = 0; i < m; ++i) {
      const int len = seg.length(i);
      int32_t* bg = grow(ws.bigrams, size_t(std::max(len, 1)));
      const int nb = hash_bigrams(seg.tokens(i), len, c.bigram_buckets, bg);
      mean_embed_forward(table, bt, c.embed_dim, seg.tokens(i), len, bg, nb,
                         feat + size_t(i) * fd);
    }
  }
}

// Dense head over ws.feat; returns logits [m, output_units]. rng null = inference (no dropout).
const float* head_forward(const Network& net, size_t begin, int m, Workspace& ws,
                          const Rng* rng) {
  const ModelConfig& c = net.config();
  const Params& p = net.params();
  const bool drop = rng && c.dropout > 0.0f;
  const float* x = ws.feat.data();
  const int fd = c.feature_dim();
  if (drop) {
    uint8_t* keep = grow(ws.feat_keep, size_t(m) * fd);
    float* xd = grow(ws.feat_drop, size_t(m) * fd);
    for (int i = 0; i < m; ++i) make_mask(*rng, begin + i, 0, c.dropout, fd, keep + size_t(i) * fd);
    apply_mask(x, keep, c.dropout, int64_t(m) * fd, xd);
    x = xd;
  }
  const size_t nh = c.hidden.size();
  if (ws.pre.size() < nh) {
    ws.pre.resize(nh);
    ws.act.resize(nh);
    ws.keep.resize(nh);
  }
  for (size_t l = 0; l < nh; ++l) {
    const Network::DenseIndex& di = net.dense_layers()[l];
    float* pre = grow(ws.pre[l], size_t(m) * di.out);
    float* act = grow(ws.act[l], size_t(m) * di.out);
    dense_forward(x, m, di.in, p[di.weight].values(), p[di.bias].values(), di.out, pre);
    activation_forward(c.activation, pre, int64_t(m) * di.out, act);
    if (drop) {
      uint8_t* keep = grow(ws.keep[l], size_t(m) * di.out);
      for (int i = 0; i < m; ++i)
        make_mask(*rng, begin + i, int(l) + 1, c.dropout, di.out, keep + size_t(i) * di.out);
      apply_mask(act, keep, c.dropout, int64_t(m) * di.out, act);
    }
    x = act;
  }
  const Network::DenseIndex& out = net.dense_layers().back();
  float* logits = grow(ws.logits, size_t(m) * out.out);
  dense_forward(x, m, out.in, p[out.weight].values(), p[out.bias].values(), out.out, logits);
  return logits;
}

// Backward through the head from ws.dlogits; leaves d(features) [m, feature_dim] and returns it.
float* head_backward(const Network& net, int m, Workspace& ws, Grads& g, bool drop) {
  const ModelConfig& c = net.config();
  const Params& p = net.params();
  const size_t nh = c.hidden.size();
  const int fd = c.feature_dim();
  size_t widest = size_t(fd);
  for (int h : c.hidden) widest = std::max(widest, size_t(h));
  float* da = grow(ws.grad_a, size_t(m) * widest);
  float* db = grow(ws.grad_b, size_t(m) * widest);
  auto input_of = [&](size_t l) -> const float* {  // input of dense layer l
    if (l > 0) return ws.act[l - 1].data();
    return drop ? ws.feat_drop.data() : ws.feat.data();
  };
  const float* dy = ws.dlogits.data();
  for (size_t l = nh + 1; l-- > 0;) {
    const Network::DenseIndex& di = net.dense_layers()[l];
    dense_backward(input_of(l), m, di.in, p[di.weight].data.data(), di.out, dy, da,
                   g[di.weight].data.data(), g[di.bias].data.data());
    if (l > 0) {  // through the previous hidden layer's dropout and activation, in place
      const size_t n = size_t(m) * c.hidden[l - 1];
      if (drop) apply_mask(da, ws.keep[l - 1].data(), c.dropout, int64_t(n), da);
      activation_backward(c.activation, ws.pre[l - 1].data(), da, int64_t(n), da);
    }
    std::swap(da, db);
    dy = db;  // the gradient just computed
  }
  float* dfeat = db;
  if (drop) apply_mask(dfeat, ws.feat_keep.data(), c.dropout, int64_t(m) * fd, dfeat);
  return dfeat;
}

// Backward from d(features) into conv/embedding gradients.
void features_backward(const Network& net, const Batch& b, size_t begin, int m,
                       const float* dfeat, Workspace& ws, Grads& g) {
  const ModelConfig& c = net.config();
  const Params& p = net.params();
  const int fd = c.feature_dim();
  const int dim = c.embed_dim;
  const int e = net.embed_index();
  Segment seg{b.ids.data() + b.offsets[begin], b.offsets.data() + begin, m};
  if (c.recurrent()) {
    recurrent_features_backward(net, seg, dfeat, fd, ws.recurrent, g);
    return;
  }
  if (c.arch == Arch::kFastText) {
    for (int i = 0; i < m; ++i) {
      const int len = seg.length(i);
      int32_t* bg = grow(ws.bigrams, size_t(std::max(len, 1)));
      const int nb = hash_bigrams(seg.tokens(i), len, c.bigram_buckets, bg);
      mean_embed_backward(dfeat + size_t(i) * fd, dim, seg.tokens(i), len, bg, nb, e,
                          net.bigram_index(), g);
    }
    return;
  }
  if (c.arch == Arch::kDpcnn) {
    dpcnn_backward(c, p, net.dpcnn(), e, seg, dfeat, fd, ws.dpcnn, g);
    return;
  }
  const int maxw = c.max_width();
  for (int i = 0; i < m; ++i) {
    const int len = seg.length(i);
    const int padded = std::max(len, maxw);
    float* dx = grow(ws.dx, size_t(padded) * dim);
    std::memset(dx, 0, sizeof(float) * size_t(padded) * dim);
    for (size_t wi = 0; wi < net.conv_layers().size(); ++wi) {
      const Network::ConvIndex& ci = net.conv_layers()[wi];
      conv_pool_backward_example(p[ci.weight].data.data(), dim, ci.width, c.filters, ws.conv[wi],
                                 i, dfeat + size_t(i) * fd + wi * c.filters,
                                 g[ci.weight].data.data(), g[ci.bias].data.data(), dx);
    }
    // Scatter the example's input gradient into the embedding rows (pad positions -> row 0).
    const int32_t* tok = seg.tokens(i);
    for (int t = 0; t < padded; ++t) {
      const int32_t id = t < len ? tok[t] : 0;
      float* __restrict row = g.touch_row(e, id);
      const float* __restrict src = dx + size_t(t) * dim;
      for (int d = 0; d < dim; ++d) row[d] += src[d];
    }
  }
}

double loss_and_grad(const Network& net, const Batch& b, size_t begin, int m, const float* logits,
                     float scale, float* dlogits) {
  const ModelConfig& c = net.config();
  double total = 0.0;
  const bool sig = c.sigmoid_output();
  const int o = c.output_units();
  for (int i = 0; i < m; ++i) {
    const size_t ex = begin + i;
    const float w = b.weights.empty() ? 1.0f : b.weights[ex];
    if (c.multi_label()) {
      total += ova_xent(logits + size_t(i) * o, o, b.label_set(ex), b.label_set_size(ex), w, scale,
                        dlogits ? dlogits + size_t(i) * o : nullptr);
      continue;
    }
    const int y = b.labels[ex];
    assert(y >= 0 && y < c.num_classes);
    float* dz = dlogits ? dlogits + size_t(i) * o : nullptr;
    total += sig ? sigmoid_xent(logits[i], y, w, scale, dz)
                 : softmax_xent(logits + size_t(i) * o, o, y, w, scale, dz);
    if (b.has_soft_targets() && b.soft_weights[ex] != 0.0f) {
      const float* t = b.soft_targets.data() + ex * size_t(c.num_classes);
      const float sw = b.soft_weights[ex];
      total += sig ? soft_sigmoid_xent(logits[i], t[1], b.soft_temperature, sw, scale, dz)
                   : soft_softmax_xent(logits + size_t(i) * o, o, t, b.soft_temperature, sw,
                                       scale, dz);
    }
  }
  return total;
}

}  // namespace

double forward_backward(const Network& net, const Batch& batch, size_t begin, size_t end,
                        Workspace& ws, Grads& grads, const Rng& rng, bool train) {
  assert(begin <= end && end <= batch.size());
  const int m = static_cast<int>(end - begin);
  if (m == 0) return 0.0;
  const bool drop = train && net.config().dropout > 0.0f;
  features_forward(net, batch, begin, m, ws);
  const float* logits = head_forward(net, begin, m, ws, drop ? &rng : nullptr);
  float* dlogits = grow(ws.dlogits, size_t(m) * net.config().output_units());
  const float scale = 1.0f / static_cast<float>(batch.size());
  const double loss = loss_and_grad(net, batch, begin, m, logits, scale, dlogits);
  const float* dfeat = head_backward(net, m, ws, grads, drop);
  features_backward(net, batch, begin, m, dfeat, ws, grads);
  return loss;
}

void predict_proba(const Network& net, const Batch& batch, Workspace& ws, float* out,
                   const TokenProjection* projection, const RecurrentTokenProjection* recurrent,
                   const DpcnnOps* dpcnn_ops) {
  const int m = static_cast<int>(batch.size());
  if (m == 0) return;
  features_forward(net, batch, 0, m, ws, projection, recurrent, dpcnn_ops, /*inference=*/true);
  const float* logits = head_forward(net, 0, m, ws, nullptr);
  const ModelConfig& c = net.config();
  const int classes = c.num_classes;
  for (int i = 0; i < m; ++i) {
    if (c.multi_label())
      ova_proba(logits + size_t(i) * classes, classes, out + size_t(i) * classes);
    else if (c.sigmoid_output())
      sigmoid_proba(logits[i], out + size_t(i) * 2);
    else
      softmax_proba(logits + size_t(i) * classes, classes, out + size_t(i) * classes);
  }
}

}  // namespace fenlei::nn
