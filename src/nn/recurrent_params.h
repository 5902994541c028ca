// The named tensors of the recurrent presets (issue 15) and their initialisation. Names, per
// direction d in {fwd, bwd} and cell c in {lstm, gru}:
//   c_d/w_ih [G*H, in]   c_d/w_hh [G*H, H]   (G = 4 for lstm, 3 for gru)
//   lstm_d/bias [4H]  or  gru_d/b_ih [3H], gru_d/b_hh [3H]
//   attention/vector [2H] (birnn with attention pooling)
//   rcnn/weight [rcnn_dim, 2H + embed_dim], rcnn/bias [rcnn_dim] (rcnn)
#pragma once

#include <vector>

#include "nn/config.h"
#include "nn/params.h"
#include "nn/rng.h"

namespace fenlei::nn {

// Tensor indices of the recurrent layers in a Network's Params; -1 where absent.
struct RecurrentIndex {
  int w_ih[2] = {-1, -1};
  int w_hh[2] = {-1, -1};
  int b_ih[2] = {-1, -1};  // the lstm's single bias
  int b_hh[2] = {-1, -1};  // gru only
  int attention = -1;
  int proj_weight = -1;
  int proj_bias = -1;
};

// Every index >= 0 of ri, in tensor order: the tensors prune and int8 copy unchanged.
std::vector<int> recurrent_tensor_indices(const RecurrentIndex& ri);

// Adds the tensors of config c (which must be recurrent) to p, zero-filled.
RecurrentIndex add_recurrent_params(const ModelConfig& c, Params* p);

// PyTorch's recurrent init, uniform(+-1/sqrt(H)), with the LSTM forget-gate bias at 1 (Jozefowicz
// et al. 2015) so early gradients flow; attention vector 0 (uniform weights, i.e. the mean, at
// first); rcnn projection glorot_uniform, bias 0.
void init_recurrent_params(const ModelConfig& c, const RecurrentIndex& ri, Params* p, Rng* rng);

}  // namespace fenlei::nn
