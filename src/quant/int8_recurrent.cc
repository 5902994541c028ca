#include "quant/int8_recurrent.h"

#include <cmath>

#include "nn/recurrent_encoder.h"
#include "quant/int8_model.h"
#include "quant/int8_recurrence.h"

namespace fenlei::quant {
namespace {

nn::ModelConfig with_dummy_table(nn::ModelConfig c) {
  c.vocab_size = 2;
  return c;
}

void dequantised_row(const void* context, int32_t id, float* out) {
  const Int8Embedding& e = *static_cast<const Int8Embedding*>(context);
  const int8_t* q = e.q.data() + size_t(id) * size_t(e.dim);
  const float s = e.row_scale(id);
  for (int d = 0; d < e.dim; ++d) out[d] = float(q[d]) * s;
}

// W_ih / W_hh as the float part holds them: q * the scale of its output row.
void dequantise_into(const Int8Linear& l, nn::Tensor* w) {
  for (int o = 0; o < l.out; ++o) {
    const float s = l.per_channel ? l.scale[size_t(o)] : l.scale[0];
    for (int i = 0; i < l.in; ++i)
      w->data[size_t(o) * l.in + i] = float(l.q[size_t(o) * l.in + i]) * s;
  }
}

struct ProjectionContext {
  const std::vector<Int8Linear>* inputs;
  Int8Workspace* ws;
};

void project_int8(const void* context, int direction, const float* x, int rows, float* gates) {
  const auto& c = *static_cast<const ProjectionContext*>(context);
  int8_linear_forward((*c.inputs)[size_t(direction)], x, rows, *c.ws, gates);
}

struct RcnnContext {
  const Int8Linear* weight;
  Int8Workspace* ws;
};

void rcnn_project_int8(const void* context, const float* x, int rows, float* y) {
  const auto& c = *static_cast<const RcnnContext*>(context);
  int8_linear_forward(*c.weight, x, rows, *c.ws, y);
}

struct RecurrenceContext {
  const nn::Network* part;
  const std::vector<Int8Linear>* hidden;
  Int8Workspace* ws;
};

void recur_int8(const void* context, int direction, const nn::PackedLayout& layout,
                const float* const* in, nn::CellScratch& cell, float* h) {
  const auto& c = *static_cast<const RecurrenceContext*>(context);
  const nn::ModelConfig& config = c.part->config();
  const Int8Linear& w = (*c.hidden)[size_t(direction)];
  if (config.cell == nn::Cell::kLstm) {
    lstm_int8_recurrence(layout, in, w, config.rnn_hidden, c.ws->hidden, cell.state, h);
    return;
  }
  const nn::RecurrentIndex& ri = c.part->recurrent();
  gru_int8_recurrence(layout, in, w, c.part->params()[ri.b_hh[direction]].values(),
                      config.rnn_hidden, c.ws->hidden, h);
}

// Reads an i8 matrix `t` (stored) and its "<name>_scale" into l (unfinished, no bias).
Status load_i8_matrix(const nn::Tensor& t, const format::Tensor& stored,
                      const std::function<const format::Tensor*(const std::string&)>& find,
                      const std::function<Status(const std::string&)>& corrupt, Int8Linear* l) {
  const format::Tensor* scale = find(t.name + "_scale");
  if (scale == nullptr) return corrupt("missing weight tensor '" + t.name + "_scale'");
  l->out = int(t.shape[0]);
  l->in = int(t.shape[1]);
  if (scale->shape == std::vector<int64_t>{l->out})
    l->per_channel = true;
  else if (scale->shape == std::vector<int64_t>{1})
    l->per_channel = false;
  else
    return corrupt("tensor '" + scale->name + "' has the wrong shape");
  auto q = format::tensor_to_i8(stored);
  auto s = format::tensor_to_f32(*scale);
  if (!q.ok() || !s.ok()) return corrupt("tensor '" + t.name + "' has bad data");
  if (q->size() != size_t(l->out) * size_t(l->in) ||
      s->size() != (l->per_channel ? size_t(l->out) : 1u))
    return corrupt("tensor '" + t.name + "' has bad data");
  for (float v : *s)
    if (!(v > 0.0f) || !std::isfinite(v)) return corrupt("'" + scale->name + "' holds a scale <= 0");
  l->q = std::move(*q);
  l->scale = std::move(*s);
  return Status();
}

}  // namespace

StatusOr<std::vector<Int8Linear>> quantize_recurrent_inputs(const nn::Network& net,
                                                            bool per_channel) {
  const nn::RecurrentIndex& ri = net.recurrent();
  std::vector<Int8Linear> out;
  for (int d = 0; d < 2; ++d) {
    FENLEI_ASSIGN_OR_RETURN(Int8Linear l, quantize_int8_linear(net.params()[ri.w_ih[d]],
                                                               net.params()[ri.b_ih[d]],
                                                               per_channel));
    out.push_back(std::move(l));
  }
  return out;
}

StatusOr<std::vector<Int8Linear>> quantize_recurrent_hidden(const nn::Network& net) {
  const nn::RecurrentIndex& ri = net.recurrent();
  std::vector<Int8Linear> out;
  for (int d = 0; d < 2; ++d) {
    const nn::Tensor no_bias;
    FENLEI_ASSIGN_OR_RETURN(Int8Linear l, quantize_int8_linear(net.params()[ri.w_hh[d]], no_bias,
                                                               /*per_channel=*/true));
    out.push_back(std::move(l));
  }
  return out;
}

StatusOr<std::vector<Int8Linear>> quantize_rcnn_projection(const nn::Network& net) {
  const nn::RecurrentIndex& ri = net.recurrent();
  std::vector<Int8Linear> out;
  if (ri.proj_weight < 0) return out;
  FENLEI_ASSIGN_OR_RETURN(Int8Linear l, quantize_int8_linear(net.params()[ri.proj_weight],
                                                             net.params()[ri.proj_bias],
                                                             /*per_channel=*/true));
  out.push_back(std::move(l));
  return out;
}

StatusOr<std::shared_ptr<const nn::Network>> recurrent_part(
    const nn::Network& net, const std::vector<Int8Linear>& inputs,
    const std::vector<Int8Linear>& hidden, const std::vector<Int8Linear>& projection) {
  FENLEI_ASSIGN_OR_RETURN(nn::Network part, nn::Network::allocate(with_dummy_table(net.config())));
  for (int i : nn::recurrent_tensor_indices(net.recurrent())) part.params()[i].data = net.params()[i].data;
  for (size_t d = 0; d < inputs.size(); ++d)
    dequantise_into(inputs[d], &part.params()[part.recurrent().w_ih[d]]);
  for (size_t d = 0; d < hidden.size(); ++d)
    dequantise_into(hidden[d], &part.params()[part.recurrent().w_hh[d]]);
  if (!projection.empty()) dequantise_into(projection[0], &part.params()[part.recurrent().proj_weight]);
  return std::shared_ptr<const nn::Network>(new nn::Network(std::move(part)));
}

void add_recurrent_tensors(const nn::Network& part, const std::vector<Int8Linear>& inputs,
                           const std::vector<Int8Linear>& hidden,
                           const std::vector<Int8Linear>& projection,
                           std::vector<format::Tensor>* out) {
  const nn::RecurrentIndex& ri = part.recurrent();
  for (int i : nn::recurrent_tensor_indices(ri)) {
    const nn::Tensor& t = part.params()[i];
    const int d_in = i == ri.w_ih[0] ? 0 : i == ri.w_ih[1] ? 1 : -1;
    const int d_hh = i == ri.w_hh[0] ? 0 : i == ri.w_hh[1] ? 1 : -1;
    const Int8Linear* q = d_in >= 0 && !inputs.empty()   ? &inputs[size_t(d_in)]
                          : d_hh >= 0 && !hidden.empty() ? &hidden[size_t(d_hh)]
                          : i == ri.proj_weight && !projection.empty() ? &projection[0]
                                                                       : nullptr;
    if (q != nullptr) {
      const Int8Linear& l = *q;
      out->push_back(format::make_i8_tensor(t.name, t.shape, l.q));
      out->push_back(format::make_f32_tensor(t.name + "_scale",
                                             {l.per_channel ? int64_t(l.out) : 1}, l.scale));
      continue;
    }
    out->push_back(format::make_f32_tensor(t.name, t.shape, t.data));
  }
}

StatusOr<std::shared_ptr<const nn::Network>> load_recurrent_part(
    const nn::ModelConfig& config,
    const std::function<const format::Tensor*(const std::string&)>& find,
    const std::string& name, std::vector<Int8Linear>* inputs, std::vector<Int8Linear>* hidden,
    std::vector<Int8Linear>* projection) {
  const std::function<Status(const std::string&)> corrupt = [&](const std::string& what) {
    return data_loss_error(name + ": " + what);
  };
  auto part = nn::Network::allocate(with_dummy_table(config));
  if (!part.ok()) return corrupt("architecture: " + part.status().message());
  const nn::RecurrentIndex& ri = part->recurrent();
  inputs->clear();
  hidden->clear();
  projection->clear();
  // [0]: W_ih, [1]: W_hh (per direction); [2]: rcnn/weight (direction 0).
  std::vector<Int8Linear> q[3] = {std::vector<Int8Linear>(2), std::vector<Int8Linear>(2),
                                  std::vector<Int8Linear>(1)};
  int int8_count[3] = {0, 0, 0};
  for (int i : nn::recurrent_tensor_indices(ri)) {
    nn::Tensor& t = part->params()[i];
    const format::Tensor* stored = find(t.name);
    if (stored == nullptr) return corrupt("missing weight tensor '" + t.name + "'");
    if (stored->shape != t.shape) return corrupt("tensor '" + t.name + "' has the wrong shape");
    const int d_in = i == ri.w_ih[0] ? 0 : i == ri.w_ih[1] ? 1 : -1;
    const int d_hh = i == ri.w_hh[0] ? 0 : i == ri.w_hh[1] ? 1 : -1;
    const int kind = d_in >= 0 ? 0 : d_hh >= 0 ? 1 : i == ri.proj_weight ? 2 : -1;
    if (kind >= 0 && stored->dtype == format::DType::kI8) {
      const int d = kind == 0 ? d_in : kind == 1 ? d_hh : 0;
      FENLEI_RETURN_IF_ERROR(load_i8_matrix(t, *stored, find, corrupt, &q[kind][size_t(d)]));
      ++int8_count[kind];
      continue;
    }
    auto values = format::tensor_to_f32(*stored);
    if (!values.ok()) return corrupt("tensor '" + t.name + "': " + values.status().message());
    t.data = std::move(*values);
  }
  if (int8_count[0] == 1) return corrupt("one direction's w_ih is int8 and the other's is not");
  if (int8_count[1] == 1) return corrupt("one direction's w_hh is int8 and the other's is not");
  if (int8_count[0] == 2) {
    for (int d = 0; d < 2; ++d) {
      Int8Linear& l = q[0][size_t(d)];
      l.bias = part->params()[ri.b_ih[d]].data;
      dequantise_into(l, &part->params()[ri.w_ih[d]]);
    }
    *inputs = std::move(q[0]);
  }
  if (int8_count[1] == 2) {
    for (int d = 0; d < 2; ++d) dequantise_into(q[1][size_t(d)], &part->params()[ri.w_hh[d]]);
    *hidden = std::move(q[1]);
  }
  if (int8_count[2] == 1) {
    Int8Linear& l = q[2][0];
    l.bias = part->params()[ri.proj_bias].data;
    dequantise_into(l, &part->params()[ri.proj_weight]);
    *projection = std::move(q[2]);
  }
  return std::shared_ptr<const nn::Network>(new nn::Network(std::move(*part)));
}

void copy_recurrent_tensors(const nn::Network& part, nn::Network* net) {
  for (int i : nn::recurrent_tensor_indices(part.recurrent())) net->params()[i].data = part.params()[i].data;
}

int64_t recurrent_parameter_count(const nn::Network& part) {
  int64_t n = 0;
  for (int i : nn::recurrent_tensor_indices(part.recurrent())) n += part.params()[i].numel();
  return n;
}

void recurrent_features_int8(const nn::Network& part, const Int8Embedding& embed,
                             const std::vector<Int8Linear>& inputs, const nn::Segment& seg,
                             Int8Workspace& ws, float* feat, int fd,
                             const nn::RecurrentTokenProjection* cache,
                             const std::vector<Int8Linear>* hidden,
                             const std::vector<Int8Linear>* projection) {
  const nn::EmbeddingSource source{&embed, &dequantised_row};
  const ProjectionContext context{&inputs, &ws};
  const nn::InputProjection input_projection{&context, &project_int8};
  const RecurrenceContext recurrence_context{&part, hidden, &ws};
  const nn::HiddenRecurrence recurrence{&recurrence_context, &recur_int8};
  const bool int8_rcnn = projection != nullptr && !projection->empty();
  const RcnnContext rcnn_context{int8_rcnn ? &(*projection)[0] : nullptr, &ws};
  const nn::RcnnProjection rcnn{&rcnn_context, &rcnn_project_int8};
  nn::recurrent_features_forward(part, seg, ws.recurrent, feat, fd, &source,
                                 inputs.empty() ? nullptr : &input_projection, cache,
                                 hidden == nullptr || hidden->empty() ? nullptr : &recurrence,
                                 int8_rcnn ? &rcnn : nullptr);
}

void warm_up_recurrent_int8(const nn::RecurrentTokenProjection& cache, const Int8Embedding& embed,
                            const std::vector<Int8Linear>& inputs) {
  Int8Workspace ws;
  const nn::EmbeddingSource source{&embed, &dequantised_row};
  const ProjectionContext context{&inputs, &ws};
  const nn::InputProjection projection{&context, &project_int8};
  cache.fill_frequent(&source, inputs.empty() ? nullptr : &projection, ws.recurrent.cached);
}

}  // namespace fenlei::quant
