// Int8Model quantisation, (de)serialisation and the int8 forward pass (see int8_model.h).
#include "quant/int8_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nn/activation.h"
#include "nn/conv1d.h"
#include "nn/embedding.h"
#include "nn/loss.h"
#include "nn/workspace.h"
#include "quant/half.h"
#include "quant/int8_recurrent.h"
#include "quant/int8_dpcnn.h"
#include "quant/row_sum.h"

namespace fenlei::quant {
namespace {

// Symmetric quantisation of `rows` rows of `cols` values: one scale per row (per_row) or one for
// all. f16 scales are rounded first so that q is computed with the scale the loader will see.
Status quantize_matrix(const std::string& name, const float* w, int64_t rows, int64_t cols,
                       bool per_row, bool f16_scale, std::vector<int8_t>* q,
                       std::vector<float>* scale) {
  const int64_t n = rows * cols;
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(w[i]))
      return invalid_argument_error("tensor '" + name + "' holds a non-finite value at element " +
                                    std::to_string(i) + ": cannot quantise");
  q->assign(size_t(n), 0);
  const int64_t groups = per_row ? rows : 1;
  const int64_t group_size = per_row ? cols : n;
  scale->assign(size_t(groups), 1.0f);
  for (int64_t g = 0; g < groups; ++g) {
    const float* x = w + g * group_size;
    float amax = 0.0f;
    for (int64_t i = 0; i < group_size; ++i) amax = std::max(amax, std::fabs(x[i]));
    float d = amax > 0.0f ? amax / 127.0f : 1.0f;
    if (f16_scale) {
      d = round_to_half(d);
      if (!(d > 0.0f)) d = 1.0f;  // amax below f16's range: the row quantises to zeros
    }
    (*scale)[size_t(g)] = d;
    int8_t* out = q->data() + g * group_size;
    for (int64_t i = 0; i < group_size; ++i) {
      const float v = std::nearbyint(x[i] / d);
      out[i] = static_cast<int8_t>(std::min(127.0f, std::max(-127.0f, v)));
    }
  }
  return Status();
}

StatusOr<Int8Embedding> quantize_embedding(const nn::Tensor& t, bool per_row) {
  Int8Embedding e;
  e.rows = t.shape[0];
  e.dim = static_cast<int>(t.shape[1]);
  e.per_row = per_row;
  FENLEI_RETURN_IF_ERROR(
      quantize_matrix(t.name, t.data.data(), e.rows, e.dim, per_row, per_row, &e.q, &e.scale));
  return e;
}

StatusOr<Int8Linear> quantize_linear(const nn::Tensor& w, const nn::Tensor& b, bool per_channel) {
  Int8Linear l;
  l.out = static_cast<int>(w.shape[0]);
  l.in = static_cast<int>(w.cols());
  l.per_channel = per_channel;
  FENLEI_RETURN_IF_ERROR(quantize_matrix(w.name, w.data.data(), l.out, l.in, per_channel, false,
                                         &l.q, &l.scale));
  for (float v : b.data)
    if (!std::isfinite(v)) return invalid_argument_error("tensor '" + b.name + "' is not finite");
  l.bias = b.data;
  return l;
}

void finish_embedding(Int8Embedding& e) {
  e.row_amax.assign(size_t(e.rows), 0.0f);
  for (int64_t r = 0; r < e.rows; ++r) {
    int m = 0;
    const int8_t* q = e.q.data() + r * e.dim;
    for (int d = 0; d < e.dim; ++d) m = std::max(m, std::abs(int(q[d])));
    e.row_amax[size_t(r)] = float(m) * e.row_scale(r);
  }
}

void finish_linear(Int8Linear& l) {
  l.out_scale.resize(size_t(l.out));
  for (int o = 0; o < l.out; ++o) l.out_scale[size_t(o)] = l.per_channel ? l.scale[size_t(o)] : l.scale[0];
  l.packed = pack_weights(l.q.data(), l.out, l.in);
}

std::vector<uint8_t> f16_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 2);
  for (size_t i = 0; i < v.size(); ++i) {
    const uint16_t h = float_to_half(v[i]);
    out[2 * i] = uint8_t(h & 0xff);
    out[2 * i + 1] = uint8_t(h >> 8);
  }
  return out;
}

format::Tensor make_f16_tensor(std::string name, std::vector<int64_t> shape,
                               const std::vector<float>& v) {
  format::Tensor t;
  t.name = std::move(name);
  t.dtype = format::DType::kF16;
  t.shape = std::move(shape);
  const auto bytes = f16_bytes(v);
  t.data.assign(bytes.begin(), bytes.end());
  return t;
}

StatusOr<std::vector<float>> scale_values(const format::Tensor& t) {
  if (t.dtype == format::DType::kF32) return format::tensor_to_f32(t);
  if (t.dtype != format::DType::kF16)
    return invalid_argument_error("scale tensor must be f16 or f32, not " +
                                  format::dtype_name(t.dtype));
  const std::string_view bytes = t.bytes();
  std::vector<float> out(bytes.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const uint16_t h = uint16_t(uint8_t(bytes[2 * i])) | uint16_t(uint8_t(bytes[2 * i + 1]) << 8);
    out[i] = half_to_float(h);
  }
  return out;
}

// y[m, out] = dequant(a[m, kp] * W^T) + b, a quantised with row scales sa.
void linear_forward_quantised(const Int8Linear& l, const uint8_t* a, const float* sa, int m,
                              Int8Workspace& ws, float* y) {
  int32_t* acc = nn::grow(ws.acc, size_t(m) * l.out);
  best_gemm()(a, m, l.packed, acc);
  for (int i = 0; i < m; ++i) {
    const int32_t* ar = acc + size_t(i) * l.out;
    float* yr = y + size_t(i) * l.out;
    for (int o = 0; o < l.out; ++o)
      yr[o] = float(ar[o]) * (sa[i] * l.out_scale[size_t(o)]) + l.bias[size_t(o)];
  }
}

// y[m, out] = dequant(quant(x[m, in]) * W^T) + b.
void linear_forward(const Int8Linear& l, const float* x, int m, Int8Workspace& ws, float* y) {
  const int kp = l.packed.kp;
  uint8_t* a = nn::grow(ws.a, size_t(m) * kp);
  float* sa = nn::grow(ws.a_scale, size_t(m));
  quantize_rows_u8(x, m, l.in, kp, a, sa);
  linear_forward_quantised(l, a, sa, m, ws, y);
}

// One conv width over examples [0, m): int8 im2col (requantised per window unless the table has
// one scale), GEMM, then max over each example's windows, bias and ReLU.
void conv_forward(const Int8Embedding& e, const Int8Linear& l, int width, const nn::Segment& seg,
                  Int8Workspace& ws, float* feat, int feat_stride) {
  const int m = seg.count, dim = e.dim, k = width * dim, kp = l.packed.kp;
  int32_t* row_start = nn::grow(ws.row_start, size_t(m) + 1);
  row_start[0] = 0;
  for (int i = 0; i < m; ++i) row_start[i + 1] = row_start[i] + nn::conv_steps(seg.length(i), width);
  const int rows = row_start[m];
  uint8_t* a = nn::grow(ws.a, size_t(rows) * kp);
  float* sa = nn::grow(ws.a_scale, size_t(rows));
  int32_t* acc = nn::grow(ws.acc, size_t(rows) * l.out);
  for (int i = 0; i < m; ++i) {
    const int len = seg.length(i);
    const int32_t* tok = seg.tokens(i);
    for (int r = row_start[i]; r < row_start[i + 1]; ++r) {
      const int t = r - row_start[i];
      uint8_t* dst = a + size_t(r) * kp;
      if (!e.per_row) {
        // One scale for the table: the window's int8 values are already its quantisation.
        for (int j = 0; j < width; ++j) {
          const int32_t id = t + j < len ? tok[t + j] : 0;
          const int8_t* src = e.q.data() + size_t(id) * dim;
          for (int d = 0; d < dim; ++d) dst[j * dim + d] = uint8_t(int(src[d]) + kActivationZero);
        }
        sa[r] = e.scale[0];
      } else {
        float amax = 0.0f;
        for (int j = 0; j < width; ++j) {
          const int32_t id = t + j < len ? tok[t + j] : 0;
          amax = std::max(amax, e.row_amax[size_t(id)]);
        }
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        sa[r] = amax > 0.0f ? amax / 127.0f : 1.0f;
        for (int j = 0; j < width; ++j) {
          const int32_t id = t + j < len ? tok[t + j] : 0;
          const int8_t* src = e.q.data() + size_t(id) * dim;
          const float f = e.scale[size_t(id)] * inv;
          for (int d = 0; d < dim; ++d) {
            const float v = std::min(127.0f, std::max(-127.0f, std::nearbyint(float(src[d]) * f)));
            dst[j * dim + d] = uint8_t(int(v) + kActivationZero);
          }
        }
      }
      std::memset(dst + k, kActivationZero, size_t(kp - k));
    }
  }
  if (rows > 0) best_gemm()(a, rows, l.packed, acc);
  const int filters = l.out;
  for (int i = 0; i < m; ++i) {
    float* out = feat + size_t(i) * feat_stride;
    const int r0 = row_start[i], r1 = row_start[i + 1];
    for (int f = 0; f < filters; ++f) out[f] = float(acc[size_t(r0) * filters + f]) * sa[r0];
    for (int r = r0 + 1; r < r1; ++r) {
      const int32_t* ar = acc + size_t(r) * filters;
      const float s = sa[r];
      for (int f = 0; f < filters; ++f) out[f] = std::max(out[f], float(ar[f]) * s);
    }
    // The weight scale is positive, so it commutes with the max.
    for (int f = 0; f < filters; ++f)
      out[f] = std::max(0.0f, out[f] * l.out_scale[size_t(f)] + l.bias[size_t(f)]);
  }
}

void mean_embed_int8(const Int8Embedding& e, const Int8Embedding* b, const int32_t* tokens,
                     int len, const int32_t* bigrams, int nb, float* y) {
  const int dim = e.dim;
  std::fill(y, y + dim, 0.0f);
  const int n = len + nb;
  if (n == 0) return;
  if (!e.per_row && (b == nullptr || !b->per_row) && dim <= 4096) {
    // One scale per table: sum the int8 rows in int32 (quant/row_sum.h) and scale once per
    // table.
    int32_t se[4096], sb[4096];
    std::fill(se, se + dim, 0);
    std::fill(sb, sb + dim, 0);
    sum_rows_i8(e.q.data(), dim, tokens, len, se);
    if (nb > 0) sum_rows_i8(b->q.data(), dim, bigrams, nb, sb);
    const float inv = 1.0f / float(n);
    const float fe = e.scale[0] * inv, fb = b ? b->scale[0] * inv : 0.0f;
    for (int d = 0; d < dim; ++d) y[d] = float(se[d]) * fe + float(sb[d]) * fb;
    return;
  }
  auto add = [&](const Int8Embedding& t, int32_t id) {
    const int8_t* q = t.q.data() + size_t(id) * dim;
    const float s = t.row_scale(id);
    for (int d = 0; d < dim; ++d) y[d] += float(q[d]) * s;
  };
  for (int t = 0; t < len; ++t) add(e, tokens[t]);
  for (int t = 0; t < nb; ++t) add(*b, bigrams[t]);
  const float inv = 1.0f / float(n);
  for (int d = 0; d < dim; ++d) y[d] *= inv;
}

}  // namespace

StatusOr<Int8Model> Int8Model::quantize(const nn::Network& net, const QuantizeOptions& options) {
  Int8Model m;
  if (net.config().recurrent()) {
    FENLEI_ASSIGN_OR_RETURN(m.recurrent_input_,
                            quantize_recurrent_inputs(net, options.per_channel));
    FENLEI_ASSIGN_OR_RETURN(m.recurrent_hidden_, quantize_recurrent_hidden(net));
    FENLEI_ASSIGN_OR_RETURN(m.rcnn_projection_, quantize_rcnn_projection(net));
    FENLEI_ASSIGN_OR_RETURN(m.recurrent_, quant::recurrent_part(net, m.recurrent_input_,
                                                                m.recurrent_hidden_,
                                                                m.rcnn_projection_));
  }
  m.config_ = net.config();
  const nn::Params& p = net.params();
  FENLEI_ASSIGN_OR_RETURN(m.embed_, quantize_embedding(p[net.embed_index()], options.embedding_per_row));
  if (net.bigram_index() >= 0) {
    FENLEI_ASSIGN_OR_RETURN(m.bigram_,
                            quantize_embedding(p[net.bigram_index()], options.embedding_per_row));
    m.has_bigram_ = true;
  }
  for (const auto& ci : net.conv_layers()) {
    FENLEI_ASSIGN_OR_RETURN(Int8Linear l, quantize_linear(p[ci.weight], p[ci.bias], options.per_channel));
    m.conv_.push_back(std::move(l));
  }
  if (m.config_.arch == nn::Arch::kDpcnn) {
    for (size_t i = 0; i < dpcnn_conv_names(m.config_).size(); ++i) {
      const auto [w, b] = dpcnn_conv_tensors(net, i);
      FENLEI_ASSIGN_OR_RETURN(Int8Linear l, quantize_linear(p[w], p[b], options.per_channel));
      m.conv_.push_back(std::move(l));
    }
  }
  for (const auto& di : net.dense_layers()) {
    FENLEI_ASSIGN_OR_RETURN(Int8Linear l, quantize_linear(p[di.weight], p[di.bias], options.per_channel));
    m.dense_.push_back(std::move(l));
  }
  m.finish();
  return m;
}

void Int8Model::finish() {
  finish_embedding(embed_);
  if (has_bigram_) finish_embedding(bigram_);
  for (auto& l : conv_) finish_linear(l);
  for (auto& l : dense_) finish_linear(l);
  for (auto& l : recurrent_input_) finish_linear(l);
  for (auto& l : recurrent_hidden_) finish_linear(l);
  for (auto& l : rcnn_projection_) finish_linear(l);
  build_projection();
}

void Int8Model::build_projection() {
  projection_.reset();
  if (config_.arch == nn::Arch::kCnn)
    projection_ = Int8Projection::create(embed_, conv_, config_.widths,
                                         Int8Projection::kDefaultMaxBytes);
  recurrent_projection_.reset();
  if (recurrent_ != nullptr)
    recurrent_projection_ = nn::RecurrentTokenProjection::create(
        *recurrent_, static_cast<int32_t>(config_.vocab_size),
        nn::RecurrentTokenProjection::kDefaultMaxBytes,
        /*pack_float_w_hh=*/recurrent_hidden_.empty());  // int8 W_hh: the float copies go unused
}

Int8Model::Int8Model(const Int8Model& o)
    : config_(o.config_),
      embed_(o.embed_),
      bigram_(o.bigram_),
      has_bigram_(o.has_bigram_),
      conv_(o.conv_),
      dense_(o.dense_),
      recurrent_(o.recurrent_),
      recurrent_input_(o.recurrent_input_),
      recurrent_hidden_(o.recurrent_hidden_),
      rcnn_projection_(o.rcnn_projection_) {
  if (o.projection_ || o.recurrent_projection_) build_projection();  // the copy's own buffers
}

Int8Model& Int8Model::operator=(const Int8Model& o) {
  if (this != &o) {
    Int8Model copy(o);
    *this = std::move(copy);
  }
  return *this;
}

void Int8Model::warm_up() const {
  if (recurrent_projection_ != nullptr)
    warm_up_recurrent_int8(*recurrent_projection_, embed_, recurrent_input_);
  if (projection_ == nullptr) return;
  Int8ProjectionScratch scratch;
  projection_->fill_frequent(scratch);
}

namespace {

std::vector<std::string> layer_names(const nn::ModelConfig& c, std::vector<std::string>* conv) {
  for (int w : c.widths) conv->push_back("conv" + std::to_string(w));
  if (c.arch == nn::Arch::kDpcnn) *conv = dpcnn_conv_names(c);
  std::vector<std::string> dense;
  for (size_t l = 0; l < c.hidden.size(); ++l) dense.push_back("fc" + std::to_string(l + 1));
  dense.push_back("out");
  return dense;
}

void add_embedding(std::vector<format::Tensor>& out, const std::string& prefix,
                   const Int8Embedding& e) {
  out.push_back(format::make_i8_tensor(prefix + "/weight", {e.rows, e.dim}, e.q));
  if (e.per_row)
    out.push_back(make_f16_tensor(prefix + "/weight_scale", {e.rows}, e.scale));
  else
    out.push_back(format::make_f32_tensor(prefix + "/weight_scale", {1}, e.scale));
}

void add_linear(std::vector<format::Tensor>& out, const std::string& prefix, const Int8Linear& l) {
  out.push_back(format::make_i8_tensor(prefix + "/weight", {l.out, l.in}, l.q));
  out.push_back(format::make_f32_tensor(prefix + "/weight_scale",
                                        {l.per_channel ? int64_t(l.out) : 1}, l.scale));
  out.push_back(format::make_f32_tensor(prefix + "/bias", {l.out}, l.bias));
}

}  // namespace

std::vector<format::Tensor> Int8Model::to_tensors() const {
  std::vector<format::Tensor> out;
  add_embedding(out, "embed", embed_);
  if (has_bigram_) add_embedding(out, "bigram", bigram_);
  std::vector<std::string> conv_names;
  const std::vector<std::string> dense_names = layer_names(config_, &conv_names);
  for (size_t i = 0; i < conv_.size(); ++i) add_linear(out, conv_names[i], conv_[i]);
  for (size_t i = 0; i < dense_.size(); ++i) add_linear(out, dense_names[i], dense_[i]);
  if (recurrent_) add_recurrent_tensors(*recurrent_, recurrent_input_, recurrent_hidden_,
                                        rcnn_projection_, &out);
  return out;
}

StatusOr<Int8Model> Int8Model::from_tensors(const nn::ModelConfig& config,
                                            const std::vector<format::Tensor>& tensors,
                                            const std::string& name) {
  FENLEI_RETURN_IF_ERROR(config.validate());
  auto corrupt = [&](const std::string& what) { return data_loss_error(name + ": " + what); };
  std::vector<bool> used(tensors.size(), false);
  auto find = [&](const std::string& n) -> const format::Tensor* {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].name == n) {
        used[i] = true;
        return &tensors[i];
      }
    return nullptr;
  };
  auto load_embedding = [&](const std::string& prefix, int64_t rows,
                            Int8Embedding* e) -> Status {
    const format::Tensor* w = find(prefix + "/weight");
    const format::Tensor* s = find(prefix + "/weight_scale");
    if (!w || !s) return corrupt("int8 model lacks '" + prefix + "/weight' or its scale");
    if (w->dtype != format::DType::kI8)
      return corrupt("'" + prefix + "/weight' is " + format::dtype_name(w->dtype) +
                     " in an int8 model (expected i8)");
    if (w->shape != std::vector<int64_t>{rows, config.embed_dim})
      return corrupt("tensor '" + prefix + "/weight' has the wrong shape");
    auto q = format::tensor_to_i8(*w);
    if (!q.ok()) return corrupt(q.status().message());
    auto sv = scale_values(*s);
    if (!sv.ok()) return corrupt("'" + s->name + "': " + sv.status().message());
    if (s->shape == std::vector<int64_t>{rows} && s->dtype == format::DType::kF16)
      e->per_row = true;
    else if (s->shape == std::vector<int64_t>{1})
      e->per_row = false;
    else
      return corrupt("tensor '" + s->name + "' has the wrong shape");
    for (float v : *sv)
      if (!(v > 0.0f) || !std::isfinite(v)) return corrupt("'" + s->name + "' holds a scale <= 0");
    e->rows = rows;
    e->dim = config.embed_dim;
    e->q = std::move(*q);
    e->scale = std::move(*sv);
    return Status();
  };
  auto load_linear = [&](const std::string& prefix, int out, int in, Int8Linear* l) -> Status {
    const format::Tensor* w = find(prefix + "/weight");
    const format::Tensor* s = find(prefix + "/weight_scale");
    const format::Tensor* b = find(prefix + "/bias");
    if (!w || !s || !b) return corrupt("int8 model lacks a tensor of layer '" + prefix + "'");
    if (w->dtype != format::DType::kI8)
      return corrupt("'" + prefix + "/weight' is " + format::dtype_name(w->dtype) +
                     " in an int8 model (expected i8)");
    if (w->shape != std::vector<int64_t>{out, in} || b->shape != std::vector<int64_t>{out})
      return corrupt("layer '" + prefix + "' has the wrong shape");
    if (s->shape == std::vector<int64_t>{out})
      l->per_channel = true;
    else if (s->shape == std::vector<int64_t>{1})
      l->per_channel = false;
    else
      return corrupt("tensor '" + s->name + "' has the wrong shape");
    auto q = format::tensor_to_i8(*w);
    auto sv = scale_values(*s);
    auto bv = format::tensor_to_f32(*b);
    if (!q.ok() || !sv.ok() || !bv.ok()) return corrupt("layer '" + prefix + "' has bad tensor data");
    for (float v : *sv)
      if (!(v > 0.0f) || !std::isfinite(v)) return corrupt("'" + s->name + "' holds a scale <= 0");
    l->out = out;
    l->in = in;
    l->q = std::move(*q);
    l->scale = std::move(*sv);
    l->bias = std::move(*bv);
    return Status();
  };

  Int8Model m;
  m.config_ = config;
  FENLEI_RETURN_IF_ERROR(load_embedding("embed", config.vocab_size, &m.embed_));
  if (config.arch == nn::Arch::kFastText && config.bigram_buckets > 0) {
    FENLEI_RETURN_IF_ERROR(load_embedding("bigram", config.bigram_buckets, &m.bigram_));
    m.has_bigram_ = true;
  }
  std::vector<std::string> conv_names;
  const std::vector<std::string> dense_names = layer_names(config, &conv_names);
  for (size_t i = 0; i < conv_names.size(); ++i) {
    Int8Linear l;
    FENLEI_RETURN_IF_ERROR(
        load_linear(conv_names[i], config.filters,
                    config.arch == nn::Arch::kDpcnn ? dpcnn_conv_in(config, i)
                                                    : config.widths[i] * config.embed_dim,
                    &l));
    m.conv_.push_back(std::move(l));
  }
  int in = config.feature_dim();
  for (size_t i = 0; i < dense_names.size(); ++i) {
    const int out = i + 1 == dense_names.size() ? config.output_units() : config.hidden[i];
    Int8Linear l;
    FENLEI_RETURN_IF_ERROR(load_linear(dense_names[i], out, in, &l));
    m.dense_.push_back(std::move(l));
    in = out;
  }
  if (config.recurrent()) {
    FENLEI_ASSIGN_OR_RETURN(m.recurrent_,
                            load_recurrent_part(config, find, name, &m.recurrent_input_,
                                                &m.recurrent_hidden_, &m.rcnn_projection_));
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!used[i]) return corrupt("unexpected tensor '" + tensors[i].name + "' for this model config");
  m.finish();
  return m;
}

int64_t Int8Model::parameter_count() const {
  int64_t n = int64_t(embed_.q.size()) + (has_bigram_ ? int64_t(bigram_.q.size()) : 0);
  for (const auto& l : conv_) n += int64_t(l.q.size() + l.bias.size());
  for (const auto& l : dense_) n += int64_t(l.q.size() + l.bias.size());
  if (recurrent_) n += recurrent_parameter_count(*recurrent_);
  return n;
}

StatusOr<nn::Network> Int8Model::dequantize() const {
  FENLEI_ASSIGN_OR_RETURN(nn::Network net, nn::Network::allocate(config_));
  nn::Params& p = net.params();
  auto fill_embed = [](const Int8Embedding& e, nn::Tensor& t) {
    for (int64_t r = 0; r < e.rows; ++r)
      for (int d = 0; d < e.dim; ++d)
        t.data[size_t(r * e.dim + d)] = float(e.q[size_t(r * e.dim + d)]) * e.row_scale(r);
  };
  auto fill_linear = [](const Int8Linear& l, nn::Tensor& w, nn::Tensor& b) {
    for (int o = 0; o < l.out; ++o)
      for (int i = 0; i < l.in; ++i)
        w.data[size_t(o) * l.in + i] = float(l.q[size_t(o) * l.in + i]) * l.out_scale[size_t(o)];
    b.data = l.bias;
  };
  fill_embed(embed_, p[net.embed_index()]);
  if (has_bigram_) fill_embed(bigram_, p[net.bigram_index()]);
  for (size_t i = 0; i < conv_.size(); ++i) {
    if (config_.arch == nn::Arch::kDpcnn) {
      const auto [w, b] = dpcnn_conv_tensors(net, i);
      fill_linear(conv_[i], p[w], p[b]);
      continue;
    }
    fill_linear(conv_[i], p[net.conv_layers()[i].weight], p[net.conv_layers()[i].bias]);
  }
  for (size_t i = 0; i < dense_.size(); ++i)
    fill_linear(dense_[i], p[net.dense_layers()[i].weight], p[net.dense_layers()[i].bias]);
  if (recurrent_) copy_recurrent_tensors(*recurrent_, &net);
  return net;
}

void conv_features_int8_gemm(const Int8Model& model, const nn::Segment& seg, Int8Workspace& ws,
                             float* feat, int feat_stride) {
  const nn::ModelConfig& c = model.config();
  for (size_t wi = 0; wi < model.conv().size(); ++wi)
    conv_forward(model.embed(), model.conv()[wi], c.widths[wi], seg, ws,
                 feat + wi * size_t(c.filters), feat_stride);
}

void int8_linear_forward(const Int8Linear& l, const float* x, int m, Int8Workspace& ws, float* y) {
  linear_forward(l, x, m, ws, y);
}

void int8_linear_forward_quantised(const Int8Linear& l, const uint8_t* a, const float* sa, int m,
                                   Int8Workspace& ws, float* y) {
  linear_forward_quantised(l, a, sa, m, ws, y);
}

StatusOr<Int8Linear> quantize_int8_linear(const nn::Tensor& w, const nn::Tensor& b,
                                          bool per_channel) {
  return quantize_linear(w, b, per_channel);
}

bool has_int8_tensors(const format::ModelFile& file) {
  for (const auto& t : file.tensors)
    if (t.dtype == format::DType::kI8) return true;
  return false;
}

void predict_proba_int8(const Int8Model& model, const nn::Batch& batch, Int8Workspace& ws,
                        float* out) {
  const int m = static_cast<int>(batch.size());
  if (m == 0) return;
  const nn::ModelConfig& c = model.config();
  const int fd = c.feature_dim();
  float* feat = nn::grow(ws.feat, size_t(m) * fd);
  nn::Segment seg{batch.ids.data(), batch.offsets.data(), m};
  if (c.arch == nn::Arch::kDpcnn) {
    dpcnn_features_int8(c, model.embed(), model.conv(), seg, ws, feat, fd);
  } else if (c.arch == nn::Arch::kCnn) {
    if (model.projection() != nullptr)
      model.projection()->features(seg, ws.projection, feat, fd);
    else
      conv_features_int8_gemm(model, seg, ws, feat, fd);
  } else if (model.recurrent_part() != nullptr) {
    recurrent_features_int8(*model.recurrent_part(), model.embed(), model.recurrent_input(), seg,
                            ws, feat, fd, model.recurrent_projection(),
                            &model.recurrent_hidden(), &model.rcnn_projection());
  } else {
    for (int i = 0; i < m; ++i) {
      const int len = seg.length(i);
      int32_t* bg = nn::grow(ws.bigrams, size_t(std::max(len, 1)));
      const int nb = model.bigram() ? nn::hash_bigrams(seg.tokens(i), len, c.bigram_buckets, bg) : 0;
      mean_embed_int8(model.embed(), model.bigram(), seg.tokens(i), len, bg, nb,
                      feat + size_t(i) * fd);
    }
  }
  const float* x = feat;
  for (size_t l = 0; l < model.dense().size(); ++l) {
    const Int8Linear& layer = model.dense()[l];
    const bool last = l + 1 == model.dense().size();
    std::vector<float>& buf = last ? ws.logits : (l % 2 == 0 ? ws.x : ws.y);
    float* y = nn::grow(buf, size_t(m) * layer.out);
    linear_forward(layer, x, m, ws, y);
    if (!last) nn::activation_forward(c.activation, y, int64_t(m) * layer.out, y);
    x = y;
  }
  const int classes = c.num_classes;
  for (int i = 0; i < m; ++i) {
    if (c.multi_label())
      nn::ova_proba(x + size_t(i) * classes, classes, out + size_t(i) * classes);
    else if (c.sigmoid_output())
      nn::sigmoid_proba(x[i], out + size_t(i) * 2);
    else
      nn::softmax_proba(x + size_t(i) * classes, classes, out + size_t(i) * classes);
  }
}

}  // namespace fenlei::quant
