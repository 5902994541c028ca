// Fine-tuning: continue training a saved float model on new data with the same preprocessing.
// New words extend the vocabulary, new labels (when allowed) extend the output layer, and the
// output model records its lineage (base file, checksum and lineage, data, date).
//
//   train::FinetuneOptions f;
//   f.base_model = "general.fenlei";
//   f.train.input = "hotel_500.tsv"; f.train.output = "hotel.fenlei"; f.train.epochs = 3;
//   FENLEI_ASSIGN_OR_RETURN(train::TrainResult r, train::finetune_model(f));
#pragma once

#include <string>

#include "fenlei/status.h"
#include "train/train_options.h"
#include "train/trainer.h"

namespace fenlei::train {

struct FinetuneOptions {
  std::string base_model;  // a float model file
  bool allow_new_labels = false;
  // Data, optimisation and file settings; the model architecture and preprocessing are taken
  // from the base model (train.model and train.preprocess are ignored). train.vocab_size caps
  // how many new words may be added.
  TrainOptions train;
};

// FAILED_PRECONDITION for an int8 base model (fine-tune its float original), INVALID_ARGUMENT for
// an unknown label without allow_new_labels; otherwise as train_model.
StatusOr<TrainResult> finetune_model(const FinetuneOptions& options);

}  // namespace fenlei::train
