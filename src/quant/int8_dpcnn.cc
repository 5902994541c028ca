// int8 dpcnn inference (see int8_dpcnn.h).
#include "quant/int8_dpcnn.h"

#include "quant/int8_model.h"
#include "quant/kernels.h"

namespace fenlei::quant {

std::vector<std::string> dpcnn_conv_names(const nn::ModelConfig& c) {
  std::vector<std::string> names{"region"};
  for (int s = 0; s <= c.blocks; ++s)
    for (int j = 1; j <= 2; ++j)
      names.push_back("dpcnn" + std::to_string(s) + "/conv" + std::to_string(j));
  return names;
}

int dpcnn_conv_in(const nn::ModelConfig& c, size_t i) {
  return i == 0 ? 3 * c.embed_dim : 3 * c.filters;
}

std::pair<int, int> dpcnn_conv_tensors(const nn::Network& net, size_t i) {
  const nn::DpcnnIndex& d = net.dpcnn();
  if (i == 0) return {d.region_weight, d.region_bias};
  return {d.weight[i - 1], d.bias[i - 1]};
}

void dpcnn_features_int8(const nn::ModelConfig& c, const Int8Embedding& embed,
                         const std::vector<Int8Linear>& convs, const nn::Segment& seg,
                         Int8Workspace& ws, float* feat, int feat_stride) {
  const int dim = c.embed_dim;
  nn::DpcnnOps ops;
  ops.embed_row = [&embed, dim](int32_t id, float* dst) {
    const int8_t* q = embed.q.data() + size_t(id) * dim;
    const float s = embed.row_scale(id);
    for (int d = 0; d < dim; ++d) dst[d] = float(q[d]) * s;
  };
  ops.conv = [&convs, &ws](int layer, const float* col, int rows, int, float* y) {
    if (rows > 0) int8_linear_forward(convs[size_t(layer)], col, rows, ws, y);
  };
  // The stage convs quantise their windows straight from the stage rows (the float window rows
  // and their second pass were ~20 % of an int8 dpcnn batch); the same bits as ops.conv on
  // im2col's rows (quantize_windows3_relu_u8).
  ops.conv_windows = [&convs, &ws](int layer, const float* x, int ch, const int32_t* row_start,
                                   int count, float* y) {
    const int rows = row_start[count];
    if (rows <= 0) return;
    const Int8Linear& l = convs[size_t(layer)];
    uint8_t* a = nn::grow(ws.a, size_t(rows) * l.packed.kp);
    float* sa = nn::grow(ws.a_scale, size_t(rows));
    quantize_windows3_relu_u8(x, ch, row_start, count, l.packed.kp, a, sa);
    int8_linear_forward_quantised(l, a, sa, rows, ws, y);
  };
  nn::dpcnn_infer_ops(dim, c.filters, c.blocks, ops, seg, ws.dpcnn, feat, feat_stride);
}

}  // namespace fenlei::quant
