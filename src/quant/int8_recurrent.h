// int8 models of the recurrent presets (issue 15): the embedding table and the dense head are
// int8 as for every preset; the recurrent layers (W_ih, W_hh, biases, attention, rcnn projection)
// stay float32 and run the float encoder (nn/recurrent_encoder.h) on dequantised embedding rows.
// The embedding is most of such a model's bytes (1.28M of 1.54M parameters for bilstm on a 10k
// vocabulary), and the recurrence is latency-bound on its per-step GEMMs, where int8 would gain
// little. The file keeps the recurrent tensors as f32 under their float names.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "fenlei/status.h"
#include "nn/network.h"
#include "nn/recurrent_scratch.h"

namespace fenlei::quant {

struct Int8Embedding;

// A float network holding `net`'s recurrent tensors, with a dummy 2-row embedding table (the
// real one is int8). Errors: as nn::Network::allocate.
StatusOr<std::shared_ptr<const nn::Network>> recurrent_part(const nn::Network& net);

// The recurrent tensors of `part` as f32 file tensors.
void add_recurrent_tensors(const nn::Network& part, std::vector<format::Tensor>* out);

// Rebuilds the recurrent part of config from file tensors; `find` returns the tensor of a name
// (or null) and marks it used. Errors: kDataLoss naming the tensor.
StatusOr<std::shared_ptr<const nn::Network>> load_recurrent_part(
    const nn::ModelConfig& config,
    const std::function<const format::Tensor*(const std::string&)>& find,
    const std::string& name_for_errors);

// Copies the recurrent tensors of `part` into the full float network `net` (dequantising).
void copy_recurrent_tensors(const nn::Network& part, nn::Network* net);

// Number of float parameters in the recurrent layers of `part`.
int64_t recurrent_parameter_count(const nn::Network& part);

// Pooled features [count, fd] of seg: the float encoder over rows of the int8 table.
void recurrent_features_int8(const nn::Network& part, const Int8Embedding& embed,
                             const nn::Segment& seg, nn::RecurrentScratch& s, float* feat, int fd);

}  // namespace fenlei::quant
