// The int8 form of a dpcnn (nn/dpcnn.h): its region conv and stage convs as Int8Linear layers
// (held in Int8Model::conv(), in the float network's order), run by the same pyramid code as the
// float network with each conv GEMM on the u8 x s8 kernels (quant/kernels.h) and the residual
// sums, pooling and ReLUs in float.
#pragma once

#include <string>
#include <vector>

#include "nn/config.h"
#include "nn/conv1d.h"
#include "nn/network.h"

namespace fenlei::quant {

struct Int8Embedding;
struct Int8Linear;
struct Int8Workspace;

// File names of the conv layers: "region", then "dpcnn<s>/conv1", "dpcnn<s>/conv2" per stage.
std::vector<std::string> dpcnn_conv_names(const nn::ModelConfig& c);
// Input width (columns) of conv layer i: 3 * embed_dim for the region conv, else 3 * channels.
int dpcnn_conv_in(const nn::ModelConfig& c, size_t i);
// Float tensor indices of conv layer i (weight, bias) in `net`.
std::pair<int, int> dpcnn_conv_tensors(const nn::Network& net, size_t i);

// Pyramid features of the segment's examples: feat[i*feat_stride + f].
void dpcnn_features_int8(const nn::ModelConfig& c, const Int8Embedding& embed,
                         const std::vector<Int8Linear>& convs, const nn::Segment& seg,
                         Int8Workspace& ws, float* feat, int feat_stride);

}  // namespace fenlei::quant
