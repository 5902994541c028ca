// Network: a text classifier's parameters and config, plus the training step
// (forward_backward) and inference (predict_proba) over ragged batches.
//
//   FENLEI_ASSIGN_OR_RETURN(auto cfg, ModelConfig::preset("seed-cnn"));
//   cfg.vocab_size = vocab.size(); cfg.num_classes = labels.size();
//   FENLEI_ASSIGN_OR_RETURN(Network net, Network::create(cfg, /*seed=*/7));
//   Workspace ws; Grads grads = net.make_grads(); Rng rng(7); rng.set_step(step);
//   double loss = forward_backward(net, batch, 0, batch.size(), ws, grads, rng, true);
//   adam.step(net.params(), grads, lr);
//
// Thread-safety: a Network is read-only during forward_backward/predict_proba, so any number of
// threads may run them concurrently, each with its own Workspace, Grads and Rng; mutating the
// parameters (optimizer step) must not overlap with them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fenlei/status.h"
#include "nn/batch.h"
#include "nn/config.h"
#include "nn/dpcnn.h"
#include "nn/params.h"
#include "nn/recurrent_params.h"
#include "nn/rng.h"
#include "nn/workspace.h"

namespace fenlei::nn {

class Network {
 public:
  Network() = default;

  // Validates the config, allocates the named tensors and initialises them Keras-style:
  // embeddings uniform(-0.05, 0.05), conv/dense kernels glorot_uniform, biases zero.
  // Errors: kInvalidArgument (config).
  static StatusOr<Network> create(const ModelConfig& config, uint64_t seed);
  // Validates the config and allocates every tensor zero-filled, without the random init: for
  // callers that overwrite all weights next (model loading, dequantisation). Errors: as create.
  static StatusOr<Network> allocate(const ModelConfig& config);
  // The same tensors with their shapes but no values (empty data): for a loader that fills or
  // borrows every tensor (core::NetworkEngine::load). Errors: as create.
  static StatusOr<Network> allocate_empty(const ModelConfig& config);
  // Builds a network around loaded tensors; every expected tensor must be present with the
  // expected shape, and no unexpected tensor may be present. Errors: kInvalidArgument.
  static StatusOr<Network> from_params(const ModelConfig& config, const Params& params);

  const ModelConfig& config() const { return config_; }
  Params& params() { return params_; }
  const Params& params() const { return params_; }
  // Grads mirroring params() with sparse row tracking on the embedding tables.
  Grads make_grads() const;
  // Names of the vocabulary-sized tables (sparse gradients; skipped by add_l2_grad).
  std::vector<std::string> embedding_names() const;
  // Number of classes callers see (2 for a sigmoid output).
  int num_classes() const { return config_.num_classes; }

  // Checks ids in [0, vocab_size), offsets monotone, labels in range (when present), weights
  // finite and >= 0. The hot path only asserts; call this on data from outside.
  // Errors: kInvalidArgument naming the example.
  Status validate_batch(const Batch& batch, bool need_labels) const;

  // Tensor indices, for the kernels.
  struct ConvIndex {
    int width, weight, bias;
  };
  struct DenseIndex {
    int in, out, weight, bias;
  };
  int embed_index() const { return embed_; }
  int bigram_index() const { return bigram_; }
  const std::vector<ConvIndex>& conv_layers() const { return conv_; }
  const std::vector<DenseIndex>& dense_layers() const { return dense_; }  // hidden..., output
  const RecurrentIndex& recurrent() const { return recurrent_; }  // bilstm / gru / rcnn
  const DpcnnIndex& dpcnn() const { return dpcnn_; }                      // kDpcnn only

 private:
  static Network build(const ModelConfig& config, bool zero_fill = true);

  ModelConfig config_;
  Params params_;
  int embed_ = -1;
  int bigram_ = -1;
  std::vector<ConvIndex> conv_;
  std::vector<DenseIndex> dense_;
  RecurrentIndex recurrent_;
  DpcnnIndex dpcnn_;
};

// Makes OpenBLAS single-threaded (once per process): the trainer parallelises across examples
// itself, and nested BLAS threads would oversubscribe the cores. Called by Network::create and
// from_params; safe to call again.
void use_single_threaded_blas();

// Forward + backward on examples [begin, end) of `batch`. Accumulates into `grads` the gradient
// of  sum_i weight_i * loss_i / batch.size()  over those examples, so summing the Grads of
// threads that cover the whole batch gives the gradient of the batch-mean loss (Keras' mean
// reduction with sample weights). Returns the unscaled sum of weight_i * loss_i over the range.
// `train` enables dropout, whose masks come from rng (see Rng::dropout_key; indices are
// positions in the whole batch, so thread splits do not change the masks).
double forward_backward(const Network& net, const Batch& batch, size_t begin, size_t end,
                        Workspace& ws, Grads& grads, const Rng& rng, bool train);

class TokenProjection;
class RecurrentTokenProjection;
struct DpcnnOps;

// Class probabilities for every example, row-major [batch.size(), num_classes]. A sigmoid model
// writes [1-p, p], so callers always see num_classes columns. No dropout. With a projection
// (built once for this network, see token_projection.h) the conv block runs as per-token
// lookups instead of im2col + sgemm; with a recurrent one (recurrent_token_projection.h) the
// recurrent presets' input gates do; the result differs only by float rounding. With dpcnn_ops
// (a dpcnn only) its pyramid runs on those embedding and conv steps instead of the network's
// own (core::DpcnnPackedConvs: weights packed once), again equal up to float rounding.
void predict_proba(const Network& net, const Batch& batch, Workspace& ws, float* out,
                   const TokenProjection* projection = nullptr,
                   const RecurrentTokenProjection* recurrent = nullptr,
                   const DpcnnOps* dpcnn_ops = nullptr);

}  // namespace fenlei::nn
