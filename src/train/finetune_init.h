// What a run that continues a model builds from it (fine-tuning, pruning's recovery pass): its
// labels and vocabulary (the model's first, then what the new data adds), its data and its
// starting network; and pretrained word vectors, which fresh runs use too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model_bundle.h"
#include "core/vocab_tokenizer.h"
#include "nn/network.h"
#include "fenlei/status.h"
#include "vocab/vocab.h"
#include "train/encoded_data.h"
#include "train/train_options.h"

namespace fenlei::train {

// What fenlei's trainer continues from: the model's float network and its tokenizer.
struct TrainableModel {
  const nn::Network* network = nullptr;
  const core::VocabTokenizer* tokenizer = nullptr;
};
// FAILED_PRECONDITION (naming `name`, the engine kind and what to do instead of `verb`, e.g.
// "fine-tune") when the model's engine or tokenizer is not one the trainer can continue.
StatusOr<TrainableModel> trainable_model(const core::ModelBundle& model, const std::string& name,
                                         const std::string& verb);

// The base model's labels, then the data's new labels (sorted) when allow_new; otherwise
// INVALID_ARGUMENT naming the first unknown label and the labels the model knows.
StatusOr<std::vector<std::string>> finetune_labels(const core::ModelBundle& base,
                                                   const std::vector<std::string>& data_labels,
                                                   bool allow_new, const std::string& data_name);

// The base vocabulary with the data's new tokens appended (most frequent first, count >=
// min_count, at most max_new of them; 0 = no limit). Existing ids keep their meaning.
vocab::Vocabulary finetune_vocabulary(const core::ModelBundle& base,
                                      const vocab::TokenCounts& counts, size_t max_new,
                                      int64_t min_count);

// The data of a run that continues `start` (fine-tuning, pruning's recovery pass): the start's
// labels first (then the data's new ones, sorted, when allow_new_labels), its preprocessing, and
// its vocabulary extended with the data's new tokens (at most options.vocab_size of them).
// Errors: as prepare_data, plus an unknown label without allow_new_labels and multi-label rows
// for a single-label start.
StatusOr<PreparedData> prepare_data_from(const core::ModelBundle& start, bool allow_new_labels,
                                         const TrainOptions& options, ThreadPool& pool);

// The network a continued run starts from: `config` (the start's, grown to the run's vocabulary
// and labels) initialised with `seed`, then the start's weights copied in. New vocabulary rows
// and new output classes keep their fresh initialisation (the start's own init scheme); a
// sigmoid start grown to > 2 classes becomes the equivalent softmax rows.
// Errors: kInvalidArgument when a tensor cannot be carried over.
StatusOr<nn::Network> grown_network(const core::ModelBundle& start, const nn::ModelConfig& config,
                                    uint64_t seed);

// Loads options.pretrained_vectors (if any) into the embedding table and logs its coverage;
// `training` (the model's training record) gets the coverage.
Status apply_pretrained_vectors(const TrainOptions& options, const vocab::Vocabulary& vocabulary,
                                nn::Network* net, nlohmann::json* training);

// The lineage a model trained from `base_path` records (fine-tuning, pruning): the base file, its
// checksum and own lineage, the new data, the date, epochs and lr of `options`.
nlohmann::json lineage_from_base(const std::string& base_path, std::string_view base_bytes,
                                 const nlohmann::json& base_lineage, const TrainOptions& options);

}  // namespace fenlei::train
