// int8 models of the recurrent presets (issue 15): the embedding table and the dense head are
// int8 as for every preset, and so is each direction's input projection W_ih: one GEMM over all
// tokens of a batch (per-output-channel weight scales, dynamic per-row activation scales, int32
// accumulation on the u8 x s8 kernels of quant/kernels.h), the bulk of a recurrent layer's
// multiply-adds at the presets' sizes (embed_dim 128 vs rnn_hidden 128 per direction, computed
// once per token either way, but as one large GEMM that int8 speeds up). The recurrence W_hh is
// int8 too (per-output-channel scales; h quantised each step with the fixed scale 1/127,
// quant/int8_recurrence.h). So is rcnn's per-token projection rcnn/weight (one GEMM over all
// tokens, [tokens, 2H + embed_dim] x [rcnn_dim, 2H + embed_dim]^T, per-channel weight scales and
// dynamic per-row activation scales like W_ih). The biases and the attention vector stay float32.
//
// In the file, W_ih is "<cell>_<dir>/w_ih" i8 with "<cell>_<dir>/w_ih_scale" f32 ([4H or 3H]
// per channel, or [1]), W_hh likewise "<cell>_<dir>/w_hh" i8 + "<cell>_<dir>/w_hh_scale"; the
// rcnn/weight likewise "rcnn/weight" i8 + "rcnn/weight_scale" f32 [rcnn_dim]; the other recurrent
// tensors are f32 under their float names. Files written before W_ih, W_hh or rcnn/weight was
// quantised (that tensor f32) still load, and run it in float.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "fenlei/status.h"
#include "nn/network.h"
#include "nn/recurrent_scratch.h"
#include "nn/recurrent_token_projection.h"

namespace fenlei::quant {

struct Int8Embedding;
struct Int8Linear;
struct Int8Workspace;

// The int8 input projection of each direction (W_ih with the input-side bias: the lstm's bias,
// the gru's b_ih), quantised like a dense layer (per_channel: one scale per gate unit).
// Errors: kInvalidArgument (non-finite weights). The caller finishes them (packing).
StatusOr<std::vector<Int8Linear>> quantize_recurrent_inputs(const nn::Network& net,
                                                            bool per_channel);

// The int8 recurrence matrices W_hh of each direction, one scale per output channel (no bias:
// the gru's b_hh stays float in the part). Errors: kInvalidArgument (non-finite weights). The
// caller finishes them (packing).
StatusOr<std::vector<Int8Linear>> quantize_recurrent_hidden(const nn::Network& net);

// rcnn: the int8 projection rcnn/weight with its float bias, one scale per output channel, as
// the only element; other presets: empty. Errors: kInvalidArgument (non-finite weights). The
// caller finishes it (packing).
StatusOr<std::vector<Int8Linear>> quantize_rcnn_projection(const nn::Network& net);

// A float network holding `net`'s recurrent tensors, with a dummy 2-row embedding table (the
// real one is int8); W_ih, W_hh and rcnn/weight replaced by the dequantised `inputs`, `hidden`
// and `projection` where given (non-empty).
// Errors: as nn::Network::allocate.
StatusOr<std::shared_ptr<const nn::Network>> recurrent_part(
    const nn::Network& net, const std::vector<Int8Linear>& inputs,
    const std::vector<Int8Linear>& hidden, const std::vector<Int8Linear>& projection);

// The recurrent tensors of `part` as file tensors: W_ih, W_hh and rcnn/weight as i8 + scale
// from `inputs`, `hidden` and `projection` (when non-empty), the rest f32.
void add_recurrent_tensors(const nn::Network& part, const std::vector<Int8Linear>& inputs,
                           const std::vector<Int8Linear>& hidden,
                           const std::vector<Int8Linear>& projection,
                           std::vector<format::Tensor>* out);

// Rebuilds the recurrent part of config from file tensors; `find` returns the tensor of a name
// (or null) and marks it used. An i8 W_ih fills `inputs` (one per direction, unfinished), an i8
// W_hh `hidden`, an i8 rcnn/weight `projection` (one, with rcnn/bias), and their dequantised
// values go into the part; f32 ones (older files) leave them empty. Errors: kDataLoss naming the
// tensor (wrong shape, a scale count that is neither [rows] nor [1], a scale <= 0 or not finite,
// one direction int8 and the other not).
StatusOr<std::shared_ptr<const nn::Network>> load_recurrent_part(
    const nn::ModelConfig& config,
    const std::function<const format::Tensor*(const std::string&)>& find,
    const std::string& name_for_errors, std::vector<Int8Linear>* inputs,
    std::vector<Int8Linear>* hidden, std::vector<Int8Linear>* projection);

// Copies the recurrent tensors of `part` into the full float network `net` (dequantising).
void copy_recurrent_tensors(const nn::Network& part, nn::Network* net);

// Number of float parameters in the recurrent layers of `part`.
int64_t recurrent_parameter_count(const nn::Network& part);

// Pooled features [count, fd] of seg: the encoder over rows of the int8 table, with the int8
// input projections `inputs` (finished; float W_ih of `part` when empty). With a `cache` made
// for `part` and the table's vocabulary (nn/recurrent_token_projection.h), each token's input
// gates are computed once by the same int8 GEMM, bit for bit, and then looked up. With `hidden`
// (finished int8 W_hh per direction; null or empty: the part's float W_hh) the steps run on the
// integer recurrence (quant/int8_recurrence.h), one text or many, cached or not. With
// `projection` (rcnn; finished int8 rcnn/weight; null or empty: the part's float one) the
// per-token projection runs on the integer GEMM, each row on its own (exact int32 sums, a
// per-row activation scale), so a text's features are the same bits alone and in a batch.
void recurrent_features_int8(const nn::Network& part, const Int8Embedding& embed,
                             const std::vector<Int8Linear>& inputs, const nn::Segment& seg,
                             Int8Workspace& ws, float* feat, int fd,
                             const nn::RecurrentTokenProjection* cache = nullptr,
                             const std::vector<Int8Linear>* hidden = nullptr,
                             const std::vector<Int8Linear>* projection = nullptr);

// Fills the cache's rows of the most frequent tokens (Int8Model::warm_up).
void warm_up_recurrent_int8(const nn::RecurrentTokenProjection& cache, const Int8Embedding& embed,
                            const std::vector<Int8Linear>& inputs);

}  // namespace fenlei::quant
