// Training data after preprocessing: every text as vocabulary ids in one flat array (ragged, no
// padding), with labels and class weights. Built once per run, in parallel.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/thread_pool.h"
#include "data/dataset.h"
#include "core/model_bundle.h"
#include "core/vocab_tokenizer.h"
#include "fenlei/status.h"
#include "nn/batch.h"
#include "nn/network.h"
#include "nn/workspace.h"
#include "text/script.h"
#include "train/train_options.h"

namespace fenlei::train {

struct EncodedSet {
  std::vector<int32_t> ids;
  std::vector<int64_t> offsets{0};  // size() + 1
  std::vector<uint32_t> lengths;
  std::vector<int> labels;
  std::vector<float> weights;  // per example (class weights)
  // Multi-label training only: each example's label set (labels[i] is its first label).
  data::LabelSets label_sets;
  // Distillation only (distill.h): each example's soft target, size() rows of labels, the
  // weight of its soft loss, and the temperature (nn::Batch's fields of the same names).
  std::vector<float> soft_targets;
  std::vector<float> soft_weights;
  float soft_temperature = 1.0f;
  bool multi_label() const { return label_sets.offsets.size() > 1; }

  size_t size() const { return labels.size(); }
  // Fills *batch with the examples at `indices` (in that order).
  void fill_batch(const std::vector<uint32_t>& indices, nn::Batch* batch) const;
  // Appends examples [begin, end) to *batch (eval::evaluate's FillBatch).
  void fill_range(size_t begin, size_t end, nn::Batch* batch) const;
};

// One text's tokens packed into one buffer: a vector of std::string costs ~50 bytes per token
// (the string object, its heap block), which for 3 M training tokens was 150 MB held from
// tokenising until encoding; packed they cost their bytes plus 4.
struct PackedTokens {
  std::string bytes;           // the tokens, concatenated
  std::vector<uint32_t> ends;  // end of token k in `bytes`

  void assign(const std::vector<std::string>& tokens);
  size_t size() const { return ends.size(); }
  std::string_view operator[](size_t k) const {
    const uint32_t begin = k == 0 ? 0 : ends[k - 1];
    return std::string_view(bytes).substr(begin, ends[k] - begin);
  }
};

struct PreparedData {
  // The training data has rows with several labels and the model's output is `auto` or `ova`:
  // train one sigmoid per label (nn::Output::kOva) on the label sets.
  bool multi_label = false;
  core::ModelBundle bundle;  // tokenizer, labels, training summary (no engine yet)
  std::shared_ptr<const core::VocabTokenizer> tokenizer;  // the same as bundle.tokenizer
  EncodedSet train;
  EncodedSet valid;
};

// A fresh run's data: reads it, chooses the tokenizer and max_len, builds the vocabulary from
// the training texts and encodes both sets. Logs a summary of the data. Errors name the file
// and line. A run that continues a model prepares its data from that model instead
// (train/finetune_init.h, prepare_data_from), with the same steps below.
StatusOr<PreparedData> prepare_data(const TrainOptions& options, ThreadPool& pool);

// The steps of data preparation, shared by fresh and continued runs.
struct TrainingTexts {
  data::Dataset train;
  data::Dataset valid;     // --valid, or the validation split of the training file
  std::string valid_name;  // for messages
  // Distillation: the last `unlabeled` training examples are texts without a label (a
  // placeholder label, not counted; the teacher's soft targets train them).
  size_t unlabeled = 0;
};
// Errors: unreadable files, untrainable data, an empty validation set.
StatusOr<TrainingTexts> read_training_texts(const TrainOptions& options);
// Every text's tokens (parallel over the pool), and how often each token occurs in them.
std::vector<PackedTokens> tokenize_texts(const core::Preprocessor& preprocessor,
                                         const data::Dataset& ds, ThreadPool& pool);
vocab::TokenCounts count_packed_tokens(const std::vector<PackedTokens>& tokens, ThreadPool& pool);
// Whether this run trains one sigmoid per label: `--loss ova`, or multi-label rows with the
// output left to fenlei. A model whose output is fixed single-label
// (!may_become_multi_label) makes multi-label rows an error.
StatusOr<bool> multi_label_training(const TrainOptions& options, const data::Dataset& train,
                                    bool may_become_multi_label);
// Once labels and tokenizer are chosen: ids of both sets (the training texts' from
// `train_tokens`, tokenised once by the caller), label ids and sets, class weights, and the
// training record's data summary.
StatusOr<PreparedData> encode_training_data(const TrainOptions& options,
                                            const TrainingTexts& texts,
                                            std::vector<PackedTokens> train_tokens,
                                            std::vector<std::string> labels,
                                            std::shared_ptr<const core::VocabTokenizer> tokenizer,
                                            bool multi_label, ThreadPool& pool);

// The tokenizer `--tokenizer auto` picks for texts with these letters: characters when at least
// half of them are of scripts written without spaces (Chinese, Japanese, Thai), else words.
core::TokenizerKind tokenizer_for_script(const text::ScriptCounts& scripts);

// Ids of already tokenised texts: the first max_len tokens of each (0 = all), looked up in
// `vocabulary` (parallel over the pool). Equal to encode_examples on the texts.
EncodedSet encode_tokens(const std::vector<PackedTokens>& tokens,
                         const std::vector<int>& labels, const vocab::Vocabulary& vocabulary,
                         int max_len, ThreadPool& pool);

// Encodes texts with an existing preprocessor and vocabulary (parallel over the pool).
EncodedSet encode_examples(const std::vector<std::string>& texts, const std::vector<int>& labels,
                           const core::Preprocessor& preprocessor,
                           const vocab::Vocabulary& vocabulary, ThreadPool& pool);

}  // namespace fenlei::train
