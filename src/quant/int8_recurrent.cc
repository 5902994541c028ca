#include "quant/int8_recurrent.h"

#include "nn/recurrent_encoder.h"
#include "quant/int8_model.h"

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

}  // namespace

StatusOr<std::shared_ptr<const nn::Network>> recurrent_part(const nn::Network& net) {
  FENLEI_ASSIGN_OR_RETURN(nn::Network part, nn::Network::allocate(with_dummy_table(net.config())));
  for (int i : nn::recurrent_tensor_indices(net.recurrent())) part.params()[i].data = net.params()[i].data;
  return std::shared_ptr<const nn::Network>(new nn::Network(std::move(part)));
}

void add_recurrent_tensors(const nn::Network& part, std::vector<format::Tensor>* out) {
  for (int i : nn::recurrent_tensor_indices(part.recurrent())) {
    const nn::Tensor& t = part.params()[i];
    out->push_back(format::make_f32_tensor(t.name, t.shape, t.data));
  }
}

StatusOr<std::shared_ptr<const nn::Network>> load_recurrent_part(
    const nn::ModelConfig& config,
    const std::function<const format::Tensor*(const std::string&)>& find,
    const std::string& name) {
  auto corrupt = [&](const std::string& what) { return data_loss_error(name + ": " + what); };
  auto part = nn::Network::allocate(with_dummy_table(config));
  if (!part.ok()) return corrupt("architecture: " + part.status().message());
  for (int i : nn::recurrent_tensor_indices(part->recurrent())) {
    nn::Tensor& t = part->params()[i];
    const format::Tensor* stored = find(t.name);
    if (stored == nullptr) return corrupt("missing weight tensor '" + t.name + "'");
    if (stored->shape != t.shape) return corrupt("tensor '" + t.name + "' has the wrong shape");
    auto values = format::tensor_to_f32(*stored);
    if (!values.ok()) return corrupt("tensor '" + t.name + "': " + values.status().message());
    t.data = std::move(*values);
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
                             const nn::Segment& seg, nn::RecurrentScratch& s, float* feat,
                             int fd) {
  const nn::EmbeddingSource source{&embed, &dequantised_row};
  nn::recurrent_features_forward(part, seg, s, feat, fd, &source);
}

}  // namespace fenlei::quant
