#include "nn/recurrent_params.h"

#include <cmath>
#include <string>

namespace fenlei::nn {

std::vector<int> recurrent_tensor_indices(const RecurrentIndex& ri) {
  std::vector<int> v;
  for (int d = 0; d < 2; ++d)
    for (int i : {ri.w_ih[d], ri.w_hh[d], ri.b_ih[d], ri.b_hh[d]})
      if (i >= 0) v.push_back(i);
  for (int i : {ri.attention, ri.proj_weight, ri.proj_bias})
    if (i >= 0) v.push_back(i);
  return v;
}

RecurrentIndex add_recurrent_params(const ModelConfig& c, Params* p) {
  RecurrentIndex ri;
  const bool lstm = c.cell == Cell::kLstm;
  const int64_t H = c.rnn_hidden;
  const int64_t G = (lstm ? 4 : 3) * H;
  const char* dirs[2] = {"_fwd/", "_bwd/"};
  for (int d = 0; d < 2; ++d) {
    const std::string prefix = std::string(cell_name(c.cell)) + dirs[d];
    ri.w_ih[d] = p->add(prefix + "w_ih", {G, c.embed_dim});
    ri.w_hh[d] = p->add(prefix + "w_hh", {G, H});
    if (lstm) {
      ri.b_ih[d] = p->add(prefix + "bias", {G});
    } else {
      ri.b_ih[d] = p->add(prefix + "b_ih", {G});
      ri.b_hh[d] = p->add(prefix + "b_hh", {G});
    }
  }
  if (c.arch == Arch::kBiRnn && c.pooling == Pooling::kAttention)
    ri.attention = p->add("attention/vector", {2 * H});
  if (c.arch == Arch::kRcnn) {
    ri.proj_weight = p->add("rcnn/weight", {c.rcnn_dim, 2 * H + c.embed_dim});
    ri.proj_bias = p->add("rcnn/bias", {c.rcnn_dim});
  }
  return ri;
}

void init_recurrent_params(const ModelConfig& c, const RecurrentIndex& ri, Params* p, Rng* rng) {
  auto uniform = [rng](Tensor& t, float limit) {
    for (float& x : t.data) x = rng->uniform(-limit, limit);
  };
  const int H = c.rnn_hidden;
  const float k = 1.0f / std::sqrt(float(H));
  for (int d = 0; d < 2; ++d) {
    uniform((*p)[ri.w_ih[d]], k);
    uniform((*p)[ri.w_hh[d]], k);
    if (c.cell == Cell::kLstm) {
      Tensor& b = (*p)[ri.b_ih[d]];
      for (int j = 0; j < H; ++j) b.data[size_t(H + j)] = 1.0f;
    } else {
      uniform((*p)[ri.b_ih[d]], k);
      uniform((*p)[ri.b_hh[d]], k);
    }
  }
  if (ri.proj_weight >= 0) {
    const double fan_in = 2.0 * H + c.embed_dim, fan_out = c.rcnn_dim;
    uniform((*p)[ri.proj_weight], static_cast<float>(std::sqrt(6.0 / (fan_in + fan_out))));
  }
}

}  // namespace fenlei::nn
