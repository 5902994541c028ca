// Fine-tuning a transformer model (an imported BERT/ELECTRA, with or without a head) on
// labelled texts: `fenlei train --init MODEL` and `fenlei finetune MODEL` on transformer models.
// Examples run at their own lengths (no padding); each batch is split over threads by token
// count, every thread adds its examples' gradients into its own buffers, the buffers are summed
// in thread order, and one optimiser step follows (transformer/encoder_optimizer.h). Batch order
// depends on (seed, epoch) and dropout masks on (seed, step, example in batch), so a run is
// reproducible for a given thread count and byte-identical with one thread. Checkpoints after
// every epoch let --resume continue an interrupted run exactly (train/encoder_checkpoint.h);
// a Collective spreads every batch over MPI processes.
//
//   train::EncoderFinetuneOptions o;
//   o.init = "rbt3.fenlei"; o.input = "train.tsv"; o.valid = "dev.tsv"; o.output = "m.fenlei";
//   FENLEI_ASSIGN_OR_RETURN(train::EncoderFinetuneResult r, train::finetune_encoder(o));
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "data/dataset.h"
#include "fenlei/status.h"
#include "train/collective.h"
#include "train/training_choices.h"
#include "transformer/encoder_optimizer.h"

namespace fenlei::train {

struct EncoderFinetuneOptions {
  std::string init;    // the transformer model file to start from
  std::string input;   // training data
  std::string valid;   // validation data; else the last validation_split of input
  double validation_split = 0.1;
  data::ReadOptions read;
  std::string output;  // the model file written (the best epoch's weights when validating)

  int epochs = 3;
  int batch_size = 32;
  int grad_accum = 1;     // micro-batches of batch_size per optimiser step
  int max_len = 0;        // tokens per text with [CLS]/[SEP]; 0 = the model's
  int64_t max_steps = 0;  // stop after this many optimiser steps (0 = epochs decide)

  float lr = 5e-5f;
  transformer::EncoderOptimizerConfig optimizer;
  transformer::EncoderLrSchedule schedule = transformer::EncoderLrSchedule::kLinear;
  double warmup_ratio = 0.0;  // of all steps; warmup_steps >= 0 wins
  int64_t warmup_steps = -1;
  float clip_norm = 1.0f;  // 0 = off
  bool dropout = true;     // the config's rates; false = none (parity runs)

  int patience = 0;  // early stopping: epochs without improvement (0 = off)
  Monitor monitor = Monitor::kValidLoss;
  uint64_t seed = 42;
  int threads = 1;

  // Data-parallel fine-tuning over several processes (fenlei train --init ... --mpi); null =
  // this process alone. Not owned. Every process reads the data and validates; each computes
  // the gradients of its share of every batch (split as over ranks x threads threads), the sums
  // are added in rank order, and only rank 0 writes files and reports progress.
  Collective* collective = nullptr;

  // Checkpoints (train/encoder_checkpoint.h), as `fenlei train`'s: "" = <output>.ckpt, "none" =
  // none. Written atomically after every epoch but the last; removed after a successful run
  // unless keep_checkpoint (to --resume with more epochs later).
  std::string checkpoint;
  bool keep_checkpoint = false;
  // Continue from this checkpoint. The run must be set up with the options it was written with
  // (an error names every one that differs); only epochs, max_steps, threads and the files may
  // change. With one thread the result is byte-identical to an uninterrupted run.
  std::string resume;
  // Called after each epoch (and its checkpoint) with the number of epochs done; an error ends
  // the run with that error, the checkpoint left for --resume, as an interruption would.
  std::function<Status(int epochs_done)> on_epoch_end;
  // One line per epoch and every `progress_every` steps; null = nowhere.
  std::function<void(const std::string&)> on_progress;
  int progress_every = 50;

  Status validate() const;
};

struct EncoderFinetuneResult {
  int epochs_run = 0;
  int best_epoch = 0;  // 1-based; 0 without validation
  double valid_loss = 0, valid_accuracy = 0;
  int64_t steps = 0;
  int64_t examples = 0;        // training examples processed
  double train_seconds = 0;    // forward/backward/optimiser wall time, without validation
  double train_cpu_seconds = 0;  // the same span in process CPU time (all threads)
  double examples_per_second = 0;
};

StatusOr<EncoderFinetuneResult> finetune_encoder(const EncoderFinetuneOptions& options);

// What fenlei train / finetune dispatch on: the model file is a transformer model.
bool is_transformer_model(const std::string& path);

}  // namespace fenlei::train
