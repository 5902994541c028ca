// Training data after preprocessing: every text as vocabulary ids in one flat array (ragged, no
// padding), with labels and class weights. Built once per run, in parallel.
#pragma once

#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "core/model_bundle.h"
#include "fenlei/status.h"
#include "nn/batch.h"
#include "nn/network.h"
#include "nn/workspace.h"
#include "train/train_options.h"

namespace fenlei::train {

struct EncodedSet {
  std::vector<int32_t> ids;
  std::vector<int64_t> offsets{0};  // size() + 1
  std::vector<uint32_t> lengths;
  std::vector<int> labels;
  std::vector<float> weights;  // per example (class weights)

  size_t size() const { return labels.size(); }
  // Fills *batch with the examples at `indices` (in that order).
  void fill_batch(const std::vector<uint32_t>& indices, nn::Batch* batch) const;
};

struct PreparedData {
  core::ModelBundle bundle;  // preprocessing, vocabulary, labels, training summary (no weights)
  EncodedSet train;
  EncodedSet valid;
  std::shared_ptr<const core::Preprocessor> preprocessor;
};

// Reads the data, builds (or, when resuming/fine-tuning, reuses) the vocabulary and encodes
// both sets. Logs a summary of the data. Errors name the file and line.
StatusOr<PreparedData> prepare_data(const TrainOptions& options, ThreadPool& pool);

// Encodes texts with an existing preprocessor and vocabulary (parallel over the pool).
EncodedSet encode_examples(const std::vector<std::string>& texts, const std::vector<int>& labels,
                           const core::Preprocessor& preprocessor,
                           const vocab::Vocabulary& vocabulary, ThreadPool& pool);

struct EvalResult {
  double loss = 0;       // mean (weighted) cross-entropy
  double accuracy = 0;
  std::vector<int> predicted;
};

// Evaluates a network on an encoded set without dropout, in parallel.
EvalResult evaluate_encoded(const nn::Network& net, const EncodedSet& set, ThreadPool& pool,
                            std::vector<nn::Workspace>& workspaces);

// Mean cross-entropy of probability rows against labels (as Keras computes it, clipped at 1e-7).
double cross_entropy(const float* probabilities, size_t n, int classes, const std::vector<int>& labels,
                     size_t first_label);

}  // namespace fenlei::train
