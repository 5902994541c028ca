#include "core/dpcnn_packed_int8_convs.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "quant/kernels.h"

namespace fenlei::core {
namespace {

// Per-thread buffers: the quantised rows, their scales and the kernel's unit row scales.
struct ConvScratch {
  std::vector<uint8_t> qx;
  std::vector<float> row_scale, ones;
};

ConvScratch& conv_scratch() {
  thread_local ConvScratch s;
  return s;
}

}  // namespace

std::unique_ptr<const DpcnnPackedInt8Convs> DpcnnPackedInt8Convs::create(
    const quant::Int8Model& model) {
  const nn::ModelConfig& c = model.config();
  if (c.arch != nn::Arch::kDpcnn) return nullptr;
  const char* kernel_env = std::getenv("FENLEI_CONV_KERNEL");  // "gemm": benchmarks' old path
  if (kernel_env != nullptr && std::strcmp(kernel_env, "gemm") == 0) return nullptr;
  std::unique_ptr<DpcnnPackedInt8Convs> d(new DpcnnPackedInt8Convs());
  d->model_ = &model;
  d->kernel_ = transformer::best_packed_int8();
  for (const quant::Int8Linear& l : model.conv())
    d->products_.push_back(transformer::make_int8_linear(
        l.in, l.out, l.q, std::vector<float>(size_t(l.out), 1.0f),
        std::vector<float>(size_t(l.out), 0.0f)));

  const quant::Int8Embedding* embed = &model.embed();
  const int dim = embed->dim;
  d->ops_.embed_row = [embed, dim](int32_t id, float* dst) {
    const int8_t* q = embed->q.data() + size_t(id) * dim;
    const float s = embed->row_scale(id);
    for (int e = 0; e < dim; ++e) dst[e] = float(q[e]) * s;  // as quant's dpcnn path
  };
  const DpcnnPackedInt8Convs* self = d.get();
  d->ops_.conv = [self](int layer, const float* col, int rows, int, float* y) {
    if (rows > 0) self->conv(layer, col, rows, y);
  };
  return d;
}

void DpcnnPackedInt8Convs::conv(int layer, const float* col, int rows, float* y) const {
  const quant::Int8Linear& l = model_->conv()[size_t(layer)];
  const transformer::Int8Linear& p = products_[size_t(layer)];
  ConvScratch& s = conv_scratch();
  const int kp = p.packed.kp;
  if (s.qx.size() < size_t(rows) * kp) s.qx.resize(size_t(rows) * kp);
  if (s.row_scale.size() < size_t(rows)) s.row_scale.resize(size_t(rows));
  if (s.ones.size() < size_t(rows)) s.ones.resize(size_t(rows), 1.0f);
  quant::quantize_rows_u8(col, rows, l.in, kp, s.qx.data(), s.row_scale.data());
  transformer::linear_int8_quantised(s.qx.data(), s.ones.data(), rows, p, y, kernel_);
  quant::dequantize_products(l, s.row_scale.data(), rows, y);
}

}  // namespace fenlei::core
