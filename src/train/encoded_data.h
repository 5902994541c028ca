// Training data after preprocessing: every text as vocabulary ids in one flat array (ragged, no
// padding), with labels and class weights. Built once per run, in parallel.
#pragma once

#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "core/model_bundle.h"
#include "core/vocab_tokenizer.h"
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
  // Appends examples [begin, end) to *batch (eval::evaluate's FillBatch).
  void fill_range(size_t begin, size_t end, nn::Batch* batch) const;
};

struct PreparedData {
  core::ModelBundle bundle;  // tokenizer, labels, training summary (no engine yet)
  std::shared_ptr<const core::VocabTokenizer> tokenizer;  // the same as bundle.tokenizer
  EncodedSet train;
  EncodedSet valid;
};

// Reads the data, builds (or, when resuming/fine-tuning, reuses) the vocabulary and encodes
// both sets. Logs a summary of the data. Errors name the file and line.
StatusOr<PreparedData> prepare_data(const TrainOptions& options, ThreadPool& pool);

// Encodes texts with an existing preprocessor and vocabulary (parallel over the pool).
EncodedSet encode_examples(const std::vector<std::string>& texts, const std::vector<int>& labels,
                           const core::Preprocessor& preprocessor,
                           const vocab::Vocabulary& vocabulary, ThreadPool& pool);

}  // namespace fenlei::train
