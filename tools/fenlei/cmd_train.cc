// fenlei train: data file -> trained model file.
#include <iostream>

#include "cli_common.h"
#include "train/progress_bar_reporter.h"
#include "command.h"
#include "encoder_train_cli.h"
#include "distributed.h"
#include "base/file_util.h"
#include "fenlei/log.h"
#include "fenlei/metrics.h"
#include "output_paths.h"
#include "train/preset_defaults.h"
#include "train/trainer.h"
#include "transformer_preset_cli.h"
#include "train_flags.h"

namespace fenlei::cli {
namespace {

const std::string kDescription =
    "Train a text classifier on labelled data and save it as one model file.\n\n"
    "Examples:\n"
    "  fenlei train --input train.tsv --output reviews.fenlei\n"
    "  fenlei train --input train.tsv --valid dev.tsv --model textcnn --epochs 5 -o m.fenlei\n"
    "  fenlei train --input data.csv --text-column review --label-column stars \\\n"
    "               --tokenizer char --class-weight balanced -o m.fenlei\n\n"
    "Input formats (from the extension or --format): TSV/CSV with a header row, JSON Lines\n"
    "({\"text\": ..., \"label\": ...}) and fastText (__label__x text). Without --valid the last\n"
    "20% of --input is held out for validation. Every preset carries its own training defaults\n"
    "(below; the reasoning and measurements are in docs/accuracy.md); a flag you set always\n"
    "wins, and the model file records the values used.\n\n"
    "With --init MODEL.fenlei (an imported BERT/ELECTRA) it fine-tunes that transformer\n"
    "instead, with its own flags: fenlei train --init MODEL --help.\n\n";

}  // namespace

// add_train_flags and finish_train_flags are shared with `fenlei distill` (train_flags.h).
void add_train_flags(CLI::App& app, TrainFlags& f) {
  auto& o = f.o;
  app.add_option("-i,--input", o.input, "Training data file")->required()->group("Data");
  app.add_option("--valid", o.valid, "Validation data file (default: split from --input)")
      ->group("Data");
  app.add_option("--validation-split", o.validation_split,
                 "Fraction of --input held out for validation when no --valid is given: the "
                 "last rows, taken before shuffling (as Keras)")
      ->group("Data");
  app.add_option("--format", f.format, "auto, tsv, csv, jsonl or fasttext")->group("Data");
  app.add_option("--text-column", o.read.text_column, "Column (or JSON key) holding the text")
      ->group("Data");
  app.add_option("--label-column", o.read.label_column, "Column (or JSON key) holding the label")
      ->group("Data");
  app.add_flag("--skip-bad-rows", o.read.skip_bad_rows,
               "Skip and count malformed rows instead of failing")
      ->group("Data");
  app.add_flag("--replace-invalid-utf8", o.read.replace_invalid_utf8,
               "Replace invalid UTF-8 with U+FFFD instead of rejecting the row")
      ->group("Data");
  app.add_flag("--normalize-labels", o.read.normalize_labels,
               "Merge labels that differ only in case or Unicode form (NFKC case fold: Pos, "
               "POS -> pos); without it they are separate classes and a warning names them")
      ->group("Data");

  app.add_option("--tokenizer", f.tokenizer,
                 "word (jieba words), char (one token per character), word+char, or auto "
                 "(char when the training texts are mostly Chinese/Japanese/Thai, else word)")
      ->group("Preprocessing");
  app.add_flag("--no-hmm", f.no_hmm, "Segment without jieba's HMM for unknown words")
      ->group("Preprocessing");
  app.add_option("--user-dict", o.user_dict_path,
                 "jieba user dictionary (word [freq] [tag] per line); stored in the model")
      ->group("Preprocessing");
  app.add_option("--dict", o.dict_path, "jieba main dictionary (default: python3-jieba's)")
      ->group("Preprocessing");
  app.add_flag("--fullwidth-to-halfwidth", o.preprocess.normalize.fullwidth_to_halfwidth,
               "Map full-width ASCII forms to ASCII")
      ->group("Preprocessing");
  app.add_flag("--lowercase", o.preprocess.normalize.lowercase, "Lowercase ASCII letters")
      ->group("Preprocessing");
  app.add_flag("--collapse-whitespace", o.preprocess.normalize.collapse_whitespace,
               "Collapse runs of whitespace to one space")
      ->group("Preprocessing");
  app.add_flag("--t2s,--traditional-to-simplified",
               o.preprocess.normalize.traditional_to_simplified,
               "Convert traditional to simplified Chinese (OpenCC t2s)")
      ->group("Preprocessing");
  app.add_option("--vocab-size", o.vocab_size,
                 "Vocabulary size including <pad> and <unk> (0 = no limit)")
      ->group("Preprocessing");
  app.add_option("--min-count", o.min_count, "Drop tokens seen fewer times")->group("Preprocessing");
  app.add_option("--max-len", o.preprocess.max_len,
                 "Tokens kept per text (0 = the 95th percentile of the training texts)")
      ->group("Preprocessing");

  app.add_option("-m,--model", f.model, "Preset: seed-cnn, textcnn, fasttext, bilstm, gru, rcnn, dpcnn or transformer (own flags: --model transformer --help)")->group("Model");
  app.add_option("--model-config", f.model_json,
                 "JSON file with architecture fields (overrides the preset)")
      ->group("Model");
  app.add_option("--embed-dim", f.embed_dim, "Embedding dimension")->group("Model");
  app.add_option("--widths", f.widths, "Convolution widths, e.g. --widths 3 4 5")->group("Model");
  app.add_option("--filters", f.filters, "Filters per convolution width")->group("Model");
  app.add_option("--hidden", f.hidden, "Hidden dense layer sizes, e.g. --hidden 128")
      ->group("Model");
  app.add_option("--activation", f.activation, "Hidden layer activation: relu, tanh or gelu")
      ->group("Model");
  app.add_option("--dropout", f.dropout, "Dropout rate on pooled features and hidden layers")
      ->group("Model");
  app.add_option("--bigram-buckets", f.bigram_buckets,
                 "fasttext: rows of the hashed token-bigram table (0 = no bigrams)")
      ->group("Model");
  app.add_option("--loss,--output-layer", f.output,
                 "auto, sigmoid (2 classes), softmax, or ova (multi-label: one sigmoid per "
                 "label; chosen by auto when rows have several labels)")
      ->group("Model");

  app.add_option("--epochs", o.epochs, "Passes over the training data")->group("Training");
  app.add_option("--batch-size", o.batch_size, "Examples per gradient step")->group("Training");
  app.add_option("--optimizer", f.optimizer, "adam, adamw or sgd")->group("Training");
  app.add_option("--lr", o.optimizer.lr, "Learning rate")->group("Training");
  app.add_option("--beta1", o.optimizer.beta1, "Adam beta1")->group("Training");
  app.add_option("--beta2", o.optimizer.beta2, "Adam beta2")->group("Training");
  app.add_option("--epsilon", o.optimizer.epsilon, "Adam epsilon")->group("Training");
  app.add_option("--momentum", o.optimizer.momentum, "SGD momentum")->group("Training");
  app.add_option("--lazy-embeddings", o.optimizer.lazy_embeddings,
                 "true/false: Adam updates only the embedding rows a batch used (TF LazyAdam; "
                 "much faster for large tables)")
      ->group("Training");
  app.add_option("--weight-decay", o.optimizer.weight_decay, "AdamW decoupled weight decay")
      ->group("Training");
  app.add_option("--l2", o.l2, "L2 penalty on weights (not biases)")->group("Training");
  app.add_option("--clip-norm", o.clip_norm, "Clip gradients to this global norm (0 = off)")
      ->group("Training");
  app.add_option("--lr-schedule", f.lr_schedule, "constant, step, cosine or plateau")
      ->group("Training");
  app.add_option("--warmup-epochs", o.schedule.warmup_epochs,
                 "Linear learning-rate warm-up length")
      ->group("Training");
  app.add_option("--lr-step-epochs", o.schedule.step_epochs, "step: decay every N epochs")
      ->group("Training");
  app.add_option("--lr-gamma", o.schedule.gamma, "step: decay factor")->group("Training");
  app.add_option("--min-lr", o.schedule.min_lr, "cosine/plateau: learning-rate floor")
      ->group("Training");
  app.add_option("--plateau-patience", o.schedule.plateau_patience,
                 "plateau: epochs without validation-loss improvement before reducing")
      ->group("Training");
  app.add_option("--plateau-factor", o.schedule.plateau_factor, "plateau: reduction factor")
      ->group("Training");
  app.add_option("--class-weight", o.class_weight,
                 "balanced, or per label: pos=1,neg=2 (weights the training loss)")
      ->group("Training");
  app.add_option("--patience", o.patience,
                 "Early stopping: stop after N epochs without improvement (0 = off)")
      ->group("Training");
  app.add_option("--min-delta", o.min_delta, "Smallest change that counts as improvement")
      ->group("Training");
  app.add_option("--monitor", f.monitor, "valid_loss or valid_accuracy (best epoch, stopping)")
      ->group("Training");
  app.add_flag("--no-restore-best", f.no_restore_best,
               "Save the last epoch's weights instead of the best epoch's")
      ->group("Training");
  app.add_option("--seed", o.seed, "Random seed (with --threads 1: byte-identical models)")
      ->group("Training");
  app.add_option("-t,--threads", o.threads, "Worker threads (0 = all cores)")->group("Training");
  app.add_flag("--mpi", f.mpi,
               "Data-parallel over the processes of an MPI launch: mpirun -np N fenlei train "
               "--mpi ... (each process takes 1/N of every batch; rank 0 writes the files)")
      ->group("Training");

  // Transfer learning (see docs/compression.md).
  app.add_option("--pretrained-vectors", o.pretrained_vectors,
                 "Initialise embeddings from word vectors (word2vec/fastText .vec text format)")
      ->group("Model");
  app.add_option("--freeze", f.freeze,
                 "Keep fixed during training: embedding, or conv (embedding + conv layers)")
      ->group("Model");
  app.add_option("-o,--output", o.output, "Model file to write")->required()->group("Files");
  app.add_option("--checkpoint", o.checkpoint,
                 "Checkpoint written after every epoch (default MODEL.ckpt; 'none' disables)")
      ->group("Files");
  app.add_flag("--keep-checkpoint", o.keep_checkpoint,
               "Keep the checkpoint after a successful run (default: removed once the model is saved)")
      ->group("Files");
  app.add_option("--resume", o.resume, "Continue an interrupted run from its checkpoint")
      ->group("Files");
  app.add_option("--log", o.log_path, "Write one JSON line per epoch to this file")
      ->group("Files");

  // The preset decides these defaults (after parsing), so --help shows no fixed value.
  for (const std::string& flag : train::preset_default_flags()) {
    CLI::Option* opt = app.get_option("--" + flag);
    opt->default_str("");
    opt->description(opt->get_description() + " (default: the preset's)");
  }
}

Status finish_train_flags(const CLI::App& app, TrainFlags& f) {
  auto& o = f.o;
  FENLEI_ASSIGN_OR_RETURN(o.read.format, data::parse_data_format(f.format));
  FENLEI_ASSIGN_OR_RETURN(o.model, nn::ModelConfig::preset(f.model));
  // The preset's training defaults fill every covered flag the user did not give; explicit
  // flags were stored by CLI11 already, and --model-config / architecture flags apply below.
  FENLEI_ASSIGN_OR_RETURN(train::PresetDefaults defaults, train::preset_defaults(f.model));
  const auto given = [&](const std::string& flag) { return app.count("--" + flag) > 0; };
  train::apply_preset_defaults(defaults, given, &o);
  if (given("optimizer")) {
    FENLEI_ASSIGN_OR_RETURN(o.optimizer.kind, nn::parse_optimizer_kind(f.optimizer));
  }
  if (given("lr-schedule")) {
    FENLEI_ASSIGN_OR_RETURN(o.schedule.kind, train::parse_lr_schedule(f.lr_schedule));
  }
  if (given("monitor")) {
    FENLEI_ASSIGN_OR_RETURN(o.monitor, train::parse_monitor(f.monitor));
  }
  FENLEI_ASSIGN_OR_RETURN(o.freeze, train::parse_freeze(f.freeze));
  if (given("tokenizer")) {
    o.tokenizer_by_script = f.tokenizer == "auto";
    if (!o.tokenizer_by_script) {
      FENLEI_ASSIGN_OR_RETURN(o.preprocess.tokenizer, core::parse_tokenizer_kind(f.tokenizer));
    }
  }
  o.preprocess.hmm = !f.no_hmm;
  o.restore_best = !f.no_restore_best;
  if (!f.model_json.empty()) {
    FENLEI_ASSIGN_OR_RETURN(std::string text, read_file(f.model_json));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return invalid_argument_error(f.model_json + ": not a JSON object");
    }
    nlohmann::json merged = o.model.to_json();
    merged.update(j);
    FENLEI_ASSIGN_OR_RETURN(o.model, nn::ModelConfig::from_json(merged));
  }
  if (f.embed_dim > 0) o.model.embed_dim = f.embed_dim;
  if (f.filters > 0) o.model.filters = f.filters;
  if (!f.widths.empty()) o.model.widths = f.widths;
  if (!f.hidden.empty()) o.model.hidden = f.hidden;
  if (f.dropout >= 0) o.model.dropout = f.dropout;
  if (given("bigram-buckets")) o.model.bigram_buckets = f.bigram_buckets;
  if (!f.activation.empty()) {
    FENLEI_ASSIGN_OR_RETURN(o.model.activation, nn::parse_activation(f.activation));
  }
  if (!f.output.empty()) {
    FENLEI_ASSIGN_OR_RETURN(o.model.output, nn::parse_output(f.output));
    o.output_chosen = true;
  }
  return o.validate();
}

namespace {

int run_train(int argc, char** argv) {
  // Transformer models have their own trainer and flags (docs/finetuning.md); so has the
  // from-scratch transformer preset, which goes through the same trainer.
  if (wants_transformer_preset(argc, argv)) return run_transformer_preset(argc, argv);
  if (wants_encoder_training("train", argc, argv)) return run_encoder_training("train", argc, argv);
  TrainFlags flags;
  auto app = make_app("train", kDescription + train::describe_preset_defaults());
  add_train_flags(*app, flags);
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  if (Status s = finish_train_flags(*app, flags); !s.ok()) {
    std::cerr << "fenlei train: error: " << s.message() << "\n";
    return kExitUsage;
  }
  if (Status s = check_training_paths(flags.o, {flags.model_json}); !s.ok()) return fail("train", s);
  std::unique_ptr<train::Collective> collective;
  if (flags.mpi) {
    auto joined = join_mpi_run();
    if (!joined.ok()) return fail("train", joined.status());
    collective = std::move(*joined);
    flags.o.collective = collective.get();
    // One voice: the other ranks report warnings and errors only.
    if (collective->rank() > 0 && log_level() < LogLevel::kWarning) set_log_level(LogLevel::kWarning);
  }
  flags.o.on_progress = train::progress_bar_reporter();
  auto result = train::train_model(flags.o);
  if (!result.ok()) {
    fail("train", result.status());
    // The other processes would wait for this one forever in the next collective call.
    if (collective && collective->size() > 1) collective->abort(kExitFailure);
    return kExitFailure;
  }
  const auto& m = result->valid_metrics;
  FENLEI_LOG(kInfo) << "saved " << flags.o.output << " (best epoch " << result->best_epoch
                    << "; validation accuracy " << m.accuracy << ", macro-F1 " << m.macro_f1
                    << ")";
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("train", "Train a classifier on labelled data", 20, run_train);

}  // namespace fenlei::cli
