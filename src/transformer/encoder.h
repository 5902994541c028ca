// A BERT-family encoder with its classification head, built from a checkpoint's tensors:
// embeddings (word + position + token type) + LayerNorm (+ ELECTRA's embeddings_project),
// N post-LN transformer layers, and either BERT's pooler + classifier or ELECTRA's
// classification head (dense + gelu + out_proj on [CLS]). Each text runs at its own length, so
// nothing is ever computed on padding. Immutable after loading; forward is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fenlei/status.h"
#include "hf/config.h"
#include "hf/tensor_map.h"
#include "quant/kernels.h"
#include "transformer/attention.h"
#include "transformer/bf16_linear.h"
#include "transformer/cls_attention.h"
#include "transformer/int8_linear.h"
#include "transformer/layers.h"
#include "transformer/packed_dense.h"
#include "transformer/packed_parallel.h"

namespace fenlei::transformer {

enum class HeadKind { kNone, kBertPooler, kElectra };

struct EncoderLayer {
  Linear qkv;  // query, key and value fused: out = 3 * hidden
  Linear attention_out;
  std::vector<float> ln1_gamma, ln1_beta;
  Linear intermediate, output;
  std::vector<float> ln2_gamma, ln2_beta;
};

// The int8 copies of a layer's four dense layers (quantize_encoder); their float weights are
// then dropped from EncoderLayer (biases stay).
struct Int8Layer {
  Int8Linear qkv, attention_out, intermediate, output;
};

// The bf16 copies of a layer's four dense layers (bf16_encoder); their float weights are then
// dropped from EncoderLayer (biases stay).
struct Bf16Layer {
  Bf16Linear qkv, attention_out, intermediate, output;
};

// The float copies of a layer's four dense layers packed for inference (pack_encoder); their
// [out][in] weights are then dropped from EncoderLayer (biases stay).
struct PackedLayer {
  PackedF32 qkv, attention_out, intermediate, output;
};

struct EncoderWeights {
  hf::EncoderConfig config;
  std::vector<float> word_embeddings, position_embeddings, token_type_embeddings;
  std::vector<float> embedding_ln_gamma, embedding_ln_beta;
  bool has_projection = false;
  Linear projection;  // electra embeddings_project (embedding_size -> hidden)
  std::vector<EncoderLayer> layers;
  HeadKind head = HeadKind::kNone;
  Linear head_dense;  // bert.pooler.dense or classifier.dense
  Linear head_out;    // classifier or classifier.out_proj
  std::vector<Int8Layer> int8_layers;  // empty: float encoder
  std::vector<Bf16Layer> bf16_layers;  // empty: not bf16
  std::vector<PackedLayer> packed_layers;  // empty: float weights in EncoderLayer (if float)
  bool packed() const { return !packed_layers.empty(); }
  bool quantized() const { return !int8_layers.empty(); }
  bool bf16() const { return !bf16_layers.empty(); }
  int num_labels() const { return head == HeadKind::kNone ? 0 : head_out.out; }
};

// Picks the tensors out of a state dict (with or without the "bert."/"electra." prefix; old
// LayerNorm.gamma/beta names accepted), checking every shape against the config. Errors name
// `where` and the tensor.
StatusOr<EncoderWeights> build_encoder(const hf::EncoderConfig& config, const hf::TensorMap& tensors,
                                       const std::string& where);

// Buffers of one forward pass, reused across calls by one thread (they only grow).
struct EncoderScratch {
  std::vector<float> emb, x, qkv, ctx, tmp, inter;
  std::vector<AttentionScratch> attention;  // one per head task
  std::vector<ClsAttentionScratch> cls;     // one per head task of the last layer's [CLS]
  std::vector<float> cls_q;                 // the last layer's [CLS] query
  // Threads for one text (not owned; nullptr or 1 thread: the caller's alone). The packed float
  // encoder splits each large dense layer's output panels and the attention heads over them
  // (packed_parallel.h); logits are bit-identical for any number of threads. Only the thread
  // that owns this scratch may run a forward pass with it (ThreadPool is not re-entrant).
  ThreadPool* pool = nullptr;
  // The pool EncoderEngine made for core::Scratch::intra_op_threads (kept: its threads sleep
  // between calls and serve every later one).
  std::unique_ptr<ThreadPool> own_pool;
  int64_t min_parallel_macs = kMinParallelMacs;  // tests set 0 to split tiny layers too
  std::vector<int32_t> ids;  // EncoderEngine's copy of one text's ids
  std::vector<uint16_t> xb;  // a bf16 layer's input rows
  Int8Scratch int8;
};

// Logits of one text's ids (with [CLS]/[SEP]; at most max_position_embeddings). Needs a head.
// A quantised encoder runs its dense layers on `int8` (default: the best kernel for this CPU).
// Without `scratch`, a buffer per calling thread is used.
std::vector<float> classify_logits(const EncoderWeights& w, const std::vector<int32_t>& ids,
                                   PackedInt8Fn int8 = nullptr, EncoderScratch* scratch = nullptr);

// The encoder with every transformer layer's dense layers in int8 (embeddings, pooler and
// classifier stay float: they are a small share of the work and of the accuracy loss).
EncoderWeights quantize_encoder(const EncoderWeights& w);

// The encoder with every transformer layer's dense layers in bf16 (embeddings, LayerNorms,
// pooler and classifier stay float).
EncoderWeights bf16_encoder(const EncoderWeights& w);

// A float encoder with its layers' dense weights packed for the inference kernel
// (packed_dense.h) in place of the [out][in] copies: same memory, faster single texts. int8,
// bf16 and already packed encoders are returned as they are. What EncoderEngine holds.
EncoderWeights pack_encoder(EncoderWeights w);
// The [out][in] weights back (exact), for whatever reads them: saving, quantising, export.
EncoderWeights unpack_encoder(const EncoderWeights& w);
// Every parameter, whichever form the weights are held in (as encoder_to_tensors would count).
int64_t encoder_parameter_count(const EncoderWeights& w);

// Final hidden states, ids.size() x hidden (for tests and embeddings).
std::vector<float> encode_hidden(const EncoderWeights& w, const std::vector<int32_t>& ids);
// The final hidden state of [CLS] alone (hidden floats) as classify_logits computes it (the
// last layer for row 0 only, cls_attention.h); encode_hidden's first row up to rounding.
std::vector<float> encode_cls(const EncoderWeights& w, const std::vector<int32_t>& ids,
                              EncoderScratch* scratch = nullptr);

// The same computation with the scalar reference layers only.
std::vector<float> classify_logits_ref(const EncoderWeights& w, const std::vector<int32_t>& ids);

void softmax_in_place(std::vector<float>* v);

}  // namespace fenlei::transformer
