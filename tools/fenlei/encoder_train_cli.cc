#include "encoder_train_cli.h"

#include <algorithm>
#include <cstring>
#include <iostream>

#include "cli_common.h"
#include "distributed.h"
#include "fenlei/log.h"
#include "train/encoder_finetune.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Fine-tune a transformer model (an imported BERT/ELECTRA, with or without a classification\n"
    "head) on labelled texts. Without a head, or when the training labels are not the model's,\n"
    "a new head is made for the training labels (BERT: pooler + classifier, ELECTRA: dense +\n"
    "out_proj, initialised as transformers does). AdamW with linear warm-up and decay, as\n"
    "transformers' Trainer. See docs/finetuning.md.\n\n"
    "Examples:\n"
    "  fenlei import ./rbt3 -o rbt3.fenlei\n"
    "  fenlei train --init rbt3.fenlei --input train.tsv --valid dev.tsv -o hotel.fenlei\n"
    "  fenlei finetune hotel.fenlei -i more.tsv -o hotel2.fenlei --lr 2e-5 --epochs 1\n"
    "  fenlei train --init rbt3.fenlei -i train.tsv -o hotel.fenlei --resume hotel.fenlei.ckpt\n"
    "  mpirun -np 4 fenlei train --init rbt3.fenlei -i train.tsv -o hotel.fenlei --mpi";

// The flags of `fenlei finetune` (both trainers) and the global ones that take no value.
bool is_valueless_flag(const char* flag) {
  static const char* const kFlags[] = {
      "--allow-new-labels", "--normalize-labels", "--skip-bad-rows", "--no-dropout", "--mpi",
      "--keep-checkpoint",  "--no-restore-best",  "-q",           "--quiet",
      "-v",                 "--verbose"};
  for (const char* known : kFlags)
    if (std::strcmp(flag, known) == 0) return true;
  return false;
}

}  // namespace

bool wants_encoder_training(const std::string& command, int argc, char** argv) {
  if (command == "train") {
    for (int i = 1; i < argc; ++i)
      if (std::strcmp(argv[i], "--init") == 0 || std::strncmp(argv[i], "--init=", 7) == 0)
        return true;
    return false;
  }
  // finetune: BASE_MODEL is the first argument that is neither a flag nor a flag's value. The
  // two trainers' flag sets differ, so nothing is parsed yet: an argument after a flag is that
  // flag's value (`-o old.fenlei`) unless the flag takes none (`--mpi MODEL`) or is `--x=v`.
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    const char* before = i > 1 ? argv[i - 1] : "";
    if (before[0] == '-' && std::strchr(before, '=') == nullptr && !is_valueless_flag(before))
      continue;
    return train::is_transformer_model(argv[i]);
  }
  return false;
}

int run_encoder_training(const std::string& command, int argc, char** argv) {
  train::EncoderFinetuneOptions o;
  std::string format = "auto", optimizer = "adamw", schedule = "linear", monitor = "valid_loss";
  bool no_dropout = false;
  auto app = make_app(command, kDescription);
  if (command == "train") {
    app->add_option("--init", o.init, "Transformer model file to start from")->required();
  } else {
    app->add_option("BASE_MODEL", o.init, "Transformer model file to start from")->required();
  }
  app->add_option("-i,--input", o.input, "Training data file")->required();
  app->add_option("--valid", o.valid, "Validation data file (default: split from --input)");
  app->add_option("--validation-split", o.validation_split,
                  "Fraction of --input held out when no --valid is given (the last rows)");
  app->add_option("--format", format, "auto, tsv, csv, jsonl or fasttext");
  app->add_option("--text-column", o.read.text_column, "Column (or JSON key) holding the text");
  app->add_option("--label-column", o.read.label_column, "Column (or JSON key) holding the label");
  app->add_flag("--skip-bad-rows", o.read.skip_bad_rows, "Skip malformed rows");
  app->add_option("-o,--output", o.output, "Model file to write")->required();
  app->add_option("--epochs", o.epochs, "Passes over the training data (default 3)");
  app->add_option("--max-steps", o.max_steps, "Stop after this many optimiser steps (0 = off)");
  app->add_option("--batch-size", o.batch_size, "Examples per micro-batch (default 32)");
  app->add_option("--grad-accum", o.grad_accum,
                  "Micro-batches per optimiser step (gradient accumulation; default 1)");
  app->add_option("--max-len", o.max_len,
                  "Tokens per text with [CLS]/[SEP] (default: the model's); recorded in the output");
  app->add_option("--optimizer", optimizer, "adamw (default) or sgd");
  app->add_option("--lr", o.lr, "Peak learning rate (default 5e-5)");
  app->add_option("--beta1", o.optimizer.beta1, "AdamW beta1");
  app->add_option("--beta2", o.optimizer.beta2, "AdamW beta2");
  app->add_option("--epsilon", o.optimizer.epsilon, "AdamW epsilon (default 1e-8)");
  app->add_option("--weight-decay", o.optimizer.weight_decay,
                  "AdamW decoupled weight decay, not on biases and LayerNorm weights (default 0.01)");
  app->add_option("--momentum", o.optimizer.momentum, "SGD momentum (default 0)");
  app->add_option("--lr-schedule", schedule, "linear (default), cosine or constant, after warm-up");
  app->add_option("--warmup-ratio", o.warmup_ratio, "Linear warm-up over this fraction of steps");
  app->add_option("--warmup-steps", o.warmup_steps, "Linear warm-up steps (overrides the ratio)");
  app->add_option("--clip-norm", o.clip_norm, "Clip gradients to this global norm (default 1; 0 = off)");
  app->add_flag("--no-dropout", no_dropout, "Train without the config's dropout");
  app->add_option("--patience", o.patience, "Early stopping: epochs without improvement (0 = off)");
  app->add_option("--monitor", monitor, "valid_loss or valid_accuracy (best epoch, stopping)");
  app->add_option("--seed", o.seed, "Random seed (with --threads 1: byte-identical models)");
  app->add_option("-t,--threads", o.threads, "Worker threads (default 1; 0 = all cores)");
  bool mpi = false;
  app->add_flag("--mpi", mpi,
                "Data-parallel over the processes of an MPI launch: mpirun -np N fenlei " +
                    command + " --mpi ... (each process takes 1/N of every batch; rank 0 writes "
                              "the files)");
  app->add_option("--checkpoint", o.checkpoint,
                  "Checkpoint written after every epoch: weights, optimiser state, counters "
                  "(default MODEL.ckpt; 'none' disables)");
  app->add_flag("--keep-checkpoint", o.keep_checkpoint,
                "Keep the checkpoint after a successful run (default: removed once the model is "
                "saved)");
  app->add_option("--resume", o.resume,
                  "Continue an interrupted run from its checkpoint (same options; --epochs, "
                  "--max-steps and --threads may change)");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  o.dropout = !no_dropout;
  auto bad = [&](const Status& s) {
    std::cerr << "fenlei " << command << ": error: " << s.message() << "\n";
    return kExitUsage;
  };
  if (auto f = data::parse_data_format(format); f.ok()) o.read.format = *f; else return bad(f.status());
  if (auto k = transformer::parse_encoder_optimizer(optimizer); k.ok()) o.optimizer.kind = *k; else return bad(k.status());
  if (auto s = transformer::parse_encoder_schedule(schedule); s.ok()) o.schedule = *s; else return bad(s.status());
  if (auto m = train::parse_monitor(monitor); m.ok()) o.monitor = *m; else return bad(m.status());
  if (Status s = o.validate(); !s.ok()) return bad(s);
  std::unique_ptr<train::Collective> collective;
  if (mpi) {
    auto joined = join_mpi_run();
    if (!joined.ok()) return fail(command, joined.status());
    collective = std::move(*joined);
    o.collective = collective.get();
    // One voice: the other ranks report warnings and errors only.
    if (collective->rank() > 0 && log_level() < LogLevel::kWarning) set_log_level(LogLevel::kWarning);
  }
  o.on_progress = [](const std::string& line) { FENLEI_LOG(kInfo) << line; };
  auto result = train::finetune_encoder(o);
  if (!result.ok()) {
    fail(command, result.status());
    // The other processes would wait for this one forever in the next collective call.
    if (collective && collective->size() > 1) collective->abort(kExitFailure);
    return kExitFailure;
  }
  FENLEI_LOG(kInfo) << "saved " << o.output << " (" << result->steps << " steps, "
                    << result->examples_per_second << " examples/s, "
                    << result->examples / std::max(1e-9, result->train_cpu_seconds)
                    << " per CPU-second"
                    << (result->best_epoch > 0
                            ? "; best epoch " + std::to_string(result->best_epoch) +
                                  ", validation accuracy " + std::to_string(result->valid_accuracy)
                            : std::string())
                    << ")";
  return kExitOk;
}

}  // namespace fenlei::cli
