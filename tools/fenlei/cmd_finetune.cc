// fenlei finetune: continue training a saved model on new data.
#include <iostream>

#include "cli_common.h"
#include "command.h"
#include "encoder_train_cli.h"
#include "fenlei/log.h"
#include "output_paths.h"
#include "retrain_flags.h"
#include "train/finetune.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Continue training a saved (float) model on new data with the same preprocessing. Words\n"
    "new to the model extend its vocabulary; labels new to it are an error unless\n"
    "--allow-new-labels extends the output layer. The output records its lineage (base\n"
    "checksum, data, date) in its metadata; see `fenlei info`.\n\n"
    "Examples:\n"
    "  fenlei finetune general.fenlei --input hotel.tsv --output hotel.fenlei\n"
    "  fenlei finetune general.fenlei -i hotel.tsv --valid dev.tsv -o hotel.fenlei --epochs 3 \\\n"
    "      --lr 5e-4 --freeze embedding";

int run_finetune(int argc, char** argv) {
  // Transformer models have their own trainer and flags (docs/finetuning.md).
  if (wants_encoder_training("finetune", argc, argv)) return run_encoder_training("finetune", argc, argv);
  train::FinetuneOptions f;
  train::TrainOptions& o = f.train;
  o.epochs = 3;
  o.optimizer.lr = 5e-4f;
  o.checkpoint = "none";
  RetrainNames names;
  auto app = make_app("finetune", kDescription);
  app->add_option("BASE_MODEL", f.base_model, "The float model to start from")->required();
  app->add_option("-i,--input", o.input, "New training data")->required();
  app->add_option("--valid", o.valid, "Validation data (default: split from --input)");
  app->add_option("--validation-split", o.validation_split,
                  "Fraction of --input held out when no --valid is given");
  app->add_option("-o,--output", o.output, "Model file to write")->required();
  add_retrain_options(*app, o, names);
  std::string freeze;
  app->add_option("--freeze", freeze, "Keep fixed: embedding, or conv (embedding + conv)")
      ->check(CLI::IsMember({"embedding", "conv"}));
  app->add_flag("--allow-new-labels", f.allow_new_labels,
                "Add labels the base model does not know to its output layer");
  app->add_option("--max-new-words", o.vocab_size,
                  "At most this many new words join the vocabulary (0 = no limit)");
  app->add_option("--min-count", o.min_count, "New words must occur at least this often");
  app->add_option("--patience", o.patience, "Early stopping patience (0 = off)");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  if (Status st = apply_retrain_flags(names, o); !st.ok()) return fail("finetune", st);
  if (auto parsed = train::parse_freeze(freeze); parsed.ok()) {
    o.freeze = *parsed;
  } else {
    return fail("finetune", parsed.status());
  }
  if (Status st = check_training_paths(o, {f.base_model}); !st.ok()) return fail("finetune", st);
  auto result = train::finetune_model(f);
  if (!result.ok()) return fail("finetune", result.status());
  FENLEI_LOG(kInfo) << "saved " << o.output << " (best epoch " << result->best_epoch
                    << "; validation accuracy " << result->valid_metrics.accuracy << ")";
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("finetune", "Continue training a model on new data", 25, run_finetune);

}  // namespace fenlei::cli
