// Int8Model: a classifier's weights quantised to int8 (symmetric, x ≈ d*q, d = amax/127) and the
// integer inference engine that runs them: int8 embedding rows, dynamic per-row u8 activations,
// u8 x s8 -> s32 GEMMs (quant/kernels.h), float rescale for bias, ReLU and max-pooling.
//
//   FENLEI_ASSIGN_OR_RETURN(Int8Model m, Int8Model::quantize(float_net, QuantizeOptions{}));
//   Int8Workspace ws;
//   predict_proba_int8(m, batch, ws, probs.data());  // probs: [batch.size(), num_classes]
//
// A cnn's conv block runs on per-(token, offset) int16 projections (quant/int8_projection.h),
// built in finish() and filled lazily; the conv GEMMs remain the reference path
// (conv_features_int8_gemm) and the fallback (FENLEI_CONV_KERNEL=gemm, huge vocabularies).
//
// Immutable after construction (the projection's lazy fill is internally synchronised);
// predict_proba_int8 may run concurrently with one workspace each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "fenlei/status.h"
#include "nn/batch.h"
#include "nn/config.h"
#include "nn/network.h"
#include "nn/recurrent_scratch.h"
#include "quant/int8_projection.h"
#include "quant/int8_recurrence.h"
#include "quant/kernels.h"

namespace fenlei::quant {

struct QuantizeOptions {
  // One weight scale per output channel (filter / dense unit), else one per tensor.
  bool per_channel = true;
  // Embedding tables: one scale per row (stored as f16), else one per table. Per-table scales
  // let the conv layers copy int8 rows straight into the GEMM input (no requantisation) and
  // make the int8 table compress well (rarely trained rows stay near zero).
  bool embedding_per_row = false;
  // int8 (every engine), or bf16 weights and activations with float accumulation (transformer
  // encoders only: `fenlei quantize --precision bf16`).
  enum class Precision { kInt8, kBf16 };
  Precision precision = Precision::kInt8;
};

struct Int8Embedding {
  int64_t rows = 0;
  int dim = 0;
  bool per_row = false;
  std::vector<int8_t> q;       // [rows, dim]
  std::vector<float> scale;    // [rows] per row, or [1]
  std::vector<float> row_amax; // [rows] max|q| * scale: the row's float range (derived)
  float row_scale(int64_t r) const { return per_row ? scale[size_t(r)] : scale[0]; }
};

struct Int8Linear {
  int out = 0, in = 0;
  bool per_channel = true;
  std::vector<int8_t> q;         // [out, in] as stored
  std::vector<float> scale;      // [out] or [1] as stored
  std::vector<float> bias;       // [out]
  std::vector<float> out_scale;  // [out] derived: the scale of each output channel
  PackedWeights packed;          // derived: GEMM layout
};

class Int8Model {
 public:
  // Quantises a float network. Errors: kInvalidArgument (non-finite weights).
  static StatusOr<Int8Model> quantize(const nn::Network& net, const QuantizeOptions& options);
  // Rebuilds from file tensors, checking names, dtypes and shapes against the config.
  // Errors: kDataLoss naming the tensor.
  static StatusOr<Int8Model> from_tensors(const nn::ModelConfig& config,
                                          const std::vector<format::Tensor>& tensors,
                                          const std::string& name_for_errors);
  // The file tensors: "<layer>/weight" i8, "<layer>/weight_scale" (f16 per embedding row, f32
  // otherwise), "<layer>/bias" f32.
  std::vector<format::Tensor> to_tensors() const;

  const nn::ModelConfig& config() const { return config_; }
  const Int8Embedding& embed() const { return embed_; }
  const Int8Embedding* bigram() const { return has_bigram_ ? &bigram_ : nullptr; }
  // One per width (cnn), or the region conv then two per stage (dpcnn, quant/int8_dpcnn.h).
  const std::vector<Int8Linear>& conv() const { return conv_; }
  const std::vector<Int8Linear>& dense() const { return dense_; }  // hidden..., output
  // bilstm / gru / rcnn: the float recurrent layers (quant/int8_recurrent.h); else null.
  const nn::Network* recurrent_part() const { return recurrent_.get(); }
  // Their int8 input projections W_ih, one per direction (empty: a file that predates them,
  // whose W_ih runs in float).
  const std::vector<Int8Linear>& recurrent_input() const { return recurrent_input_; }
  // Their int8 recurrence matrices W_hh, one per direction (quant/int8_recurrence.h; empty: a
  // file that predates them, whose recurrence runs in float).
  const std::vector<Int8Linear>& recurrent_hidden() const { return recurrent_hidden_; }
  // rcnn: its int8 per-token projection rcnn/weight, one element (empty: another preset, or a
  // file that predates it, whose projection runs in float).
  const std::vector<Int8Linear>& rcnn_projection() const { return rcnn_projection_; }
  int64_t parameter_count() const;
  // Dequantised float copy (for tests and for comparing against the float engine).
  StatusOr<nn::Network> dequantize() const;
  // The conv block's per-token projections (null: not a cnn, or the GEMM path is forced).
  const Int8Projection* projection() const { return projection_.get(); }
  // A recurrent preset's per-token input gates (null: not recurrent, or the GEMM path is forced).
  const nn::RecurrentTokenProjection* recurrent_projection() const {
    return recurrent_projection_.get();
  }
  // Computes the projection rows of the most frequent tokens now (up to
  // Int8Projection::kWarmUpBytes; the rest on first use), so the first texts run at nearly full
  // speed (~1 ms per 1,000 vocabulary rows for textcnn). Thread-safe; no-op without one.
  void warm_up() const;

 private:
  void finish();  // fills the derived fields and builds the projection

  nn::ModelConfig config_;
  Int8Embedding embed_, bigram_;
  bool has_bigram_ = false;
  std::vector<Int8Linear> conv_;
  std::vector<Int8Linear> dense_;
  std::shared_ptr<const nn::Network> recurrent_;  // immutable, so copies share it
  std::vector<Int8Linear> recurrent_input_;
  std::vector<Int8Linear> recurrent_hidden_;
  std::vector<Int8Linear> rcnn_projection_;
  // Points into the heap buffers of embed_ and conv_: a move carries them along, a copy
  // builds its own (see the special members).
  std::shared_ptr<const Int8Projection> projection_;
  // Points at *recurrent_ (shared, immutable); a copy builds its own anyway (its own cache).
  std::shared_ptr<const nn::RecurrentTokenProjection> recurrent_projection_;
  void build_projection();

 public:
  Int8Model() = default;
  Int8Model(const Int8Model& o);
  Int8Model& operator=(const Int8Model& o);
  Int8Model(Int8Model&&) noexcept = default;
  Int8Model& operator=(Int8Model&&) noexcept = default;
  ~Int8Model() = default;
};

// Per-thread scratch; buffers only grow.
struct Int8Workspace {
  std::vector<uint8_t> a;       // quantised activations [rows, kp]
  std::vector<float> a_scale;   // [rows]
  std::vector<int32_t> acc;     // GEMM output [rows, n]
  std::vector<int32_t> row_start;
  std::vector<float> feat, x, y, logits;
  std::vector<int32_t> bigrams;
  Int8ProjectionScratch projection;
  nn::RecurrentScratch recurrent;
  Int8RecurrenceScratch hidden;  // the int8 recurrence's steps
  nn::DpcnnScratch dpcnn;  // a dpcnn's pyramid (quant/int8_dpcnn.h)
};

// One int8 linear layer: y[m, out] = dequant(quant_u8(x[m, in]) * W^T) + b (dynamic per-row
// activation scales). The dense layers and a dpcnn's convs run on it.
void int8_linear_forward(const Int8Linear& l, const float* x, int m, Int8Workspace& ws, float* y);
// The same on rows already quantised as quantize_rows_u8 writes them: a [m, l.packed.kp] with
// row scales sa (ws.a and ws.a_scale may hold them).
void int8_linear_forward_quantised(const Int8Linear& l, const uint8_t* a, const float* sa, int m,
                                   Int8Workspace& ws, float* y);

// Quantises weight w [out, in] (one scale per output row if per_channel) with bias b; the caller
// fills the derived fields (Int8Model does). Errors: kInvalidArgument (non-finite values).
StatusOr<Int8Linear> quantize_int8_linear(const nn::Tensor& w, const nn::Tensor& b,
                                          bool per_channel);

// True if any weight tensor of the file is int8 (the file is a quantised model).
bool has_int8_tensors(const format::ModelFile& file);

// Class probabilities [batch.size(), num_classes], as nn::predict_proba.
void predict_proba_int8(const Int8Model& model, const nn::Batch& batch, Int8Workspace& ws,
                        float* out);

// The reference conv block of a cnn: int8 im2col and the u8 x s8 GEMMs, exact int32 sums.
// Writes the pooled features feat[i*feat_stride + c*filters + f] (bias and ReLU included).
void conv_features_int8_gemm(const Int8Model& model, const nn::Segment& seg, Int8Workspace& ws,
                             float* feat, int feat_stride);

}  // namespace fenlei::quant
