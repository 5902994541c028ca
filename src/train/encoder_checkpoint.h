// Checkpoints of encoder fine-tuning (train/encoder_finetune.h), the transformer counterpart of
// train/checkpoint.h and the same kind of file: a transformer model file of the current weights
// whose metadata carries a "checkpoint" object (the loop's counters, early-stopping state and
// the options the run must keep) and whose optimizer-state section holds the optimiser's
// moments ("adamw/m/NAME", "adamw/v/NAME" or "sgd/momentum/NAME", in param_views names) and,
// when the best epoch is an earlier one, the model file that epoch wrote ("best_model_file", u8).
// Written atomically (format::write_model_file), so an interrupted write leaves the previous
// checkpoint.
//
// Batch order and dropout masks are functions of (seed, epoch, micro-batch), so the counters
// are the whole random state: a resumed run continues bit for bit.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/model_bundle.h"
#include "fenlei/status.h"
#include "transformer/encoder_optimizer.h"

namespace fenlei::train {

// The fine-tuning loop's state after an epoch.
struct EncoderRunState {
  int epochs_done = 0;
  int64_t steps = 0;          // optimiser steps
  int64_t micro_batches = 0;  // the dropout masks' counter
  int64_t examples = 0;       // training examples processed
  int best_epoch = 0;         // 1-based; 0 without validation
  double best_score = 0;
  int epochs_without_improvement = 0;
  double valid_loss = 0, valid_accuracy = 0;  // of the best epoch
};

// What a resumed run must share with the run that wrote the checkpoint, as a JSON object from
// the flag that sets each value to the value ("--lr": 5e-05, "--input": a hash of the encoded
// training texts and labels, ...). Compared key by key on resume.
using EncoderRunFingerprint = nlohmann::json;

// `model` is the run's current model (its engine borrows `weights`, the weights being trained);
// `best_model_file` is the bytes of the best epoch's model file when that epoch is not the
// current one, else empty.
Status save_encoder_checkpoint(const std::string& path, const core::ModelBundle& model,
                               const transformer::EncoderWeights& weights,
                               const transformer::EncoderOptimizer& optimizer,
                               const EncoderRunState& state,
                               const EncoderRunFingerprint& fingerprint,
                               const std::string& best_model_file);

// Restores a checkpoint into a run set up from the same options: checks the fingerprint first
// (FAILED_PRECONDITION naming every flag whose value differs), then the weights (into `weights`,
// which must have the checkpoint's shapes), the optimiser's state and the loop's.
Status load_encoder_checkpoint(const std::string& path, const EncoderRunFingerprint& fingerprint,
                               transformer::EncoderWeights* weights,
                               transformer::EncoderOptimizer* optimizer, EncoderRunState* state,
                               std::string* best_model_file);

}  // namespace fenlei::train
