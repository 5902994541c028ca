// fenlei pretrain: masked-language-model pretraining of a transformer encoder on unlabelled
// texts (train/pretrain.h); the result is fine-tuned with `fenlei train --init`.
#include <cstdio>
#include <iostream>
#include <memory>

#include "base/progress.h"
#include "cli_common.h"
#include "command.h"
#include "fenlei/log.h"
#include "train/pretrain.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Pretrain a transformer encoder with masked-language modelling on unlabelled texts, one a\n"
    "line: 15 % of the tokens chosen (80 % [MASK], 10 % a random token, 10 % kept), whole jieba\n"
    "words masked together (as Chinese-BERT-wwm). From scratch (--arch, --size; a WordPiece\n"
    "vocabulary built from the texts: every CJK character a token, plus Latin word pieces; or\n"
    "--vocab vocab.txt) or continuing an imported model (--init, keeping its vocabulary). For\n"
    "--arch electra this is plain MLM on an ELECTRA-shaped encoder (no replaced-token\n"
    "detection). The output is a headless encoder: fine-tune it with `fenlei train --init`.\n"
    "See docs/pretraining.md.\n\n"
    "Examples:\n"
    "  fenlei pretrain --size tiny --input texts.txt -o tiny.fenlei --epochs 3 -t 2\n"
    "  fenlei train --init tiny.fenlei --input train.tsv --valid dev.tsv -o clf.fenlei\n"
    "  fenlei pretrain --init rbt3.fenlei --input domain.txt -o rbt3-domain.fenlei --lr 5e-5";

int run_pretrain(int argc, char** argv) {
  train::PretrainOptions o;
  auto app = make_app("pretrain", kDescription);
  app->add_option("-i,--input", o.input, "Unlabelled texts, one a line")->required();
  app->add_option("-o,--output", o.output, "Model file to write (a headless encoder)")->required();
  app->add_option("--init", o.init, "Continue pretraining this transformer model file");
  app->add_option("--arch", o.arch, "bert (default) or electra (from scratch)");
  app->add_option("--size", o.size,
                  "tiny (2x128, 2 heads, FFN 512; default), small (4x256, 4, 1024) or base "
                  "(12x768, 12, 3072)");
  app->add_option("--vocab", o.vocab, "vocab.txt to use instead of building one from the texts");
  app->add_option("--vocab-size", o.vocab_size, "Most tokens a built vocabulary holds (21128)");
  app->add_option("--epochs", o.epochs, "Passes over the texts (default 1; 0 writes the initialised encoder, a baseline)");
  app->add_option("--batch-size", o.batch_size, "Texts per optimiser step (default 32)");
  app->add_option("--lr", o.lr, "Peak learning rate (default 5e-4)");
  app->add_option("--warmup", o.warmup_steps,
                  "Linear warm-up steps, then linear decay (default: 10 % of the steps)");
  app->add_option("--weight-decay", o.weight_decay, "AdamW decoupled weight decay (0.01)");
  app->add_option("--max-len", o.max_len, "Tokens per text with [CLS]/[SEP] (default 128)");
  app->add_option("--mask-prob", o.masking.mask_prob, "Share of tokens chosen (default 0.15)");
  app->add_option("--seed", o.seed, "Random seed (masks, dropout, initial weights)");
  app->add_option("-t,--threads", o.threads, "Worker threads (default 1; 0 = all cores)");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  if (Status s = o.validate(); !s.ok()) {
    std::cerr << "fenlei pretrain: error: " << s.message() << "\n";
    return kExitUsage;
  }
  auto bar = std::make_shared<std::unique_ptr<ProgressBar>>();
  o.on_message = [](const std::string& line) { FENLEI_LOG(kInfo) << line; };
  o.on_progress = [bar](const train::PretrainOptions::Progress& p) {
    if (!*bar)
      *bar = std::make_unique<ProgressBar>(
          "epoch " + std::to_string(p.epoch) + "/" + std::to_string(p.epochs), p.texts_total);
    char suffix[96];
    std::snprintf(suffix, sizeof(suffix), "mlm loss %.4f acc %.4f %.0f texts/s", p.loss,
                  p.accuracy, p.texts_per_second);
    (*bar)->update(p.texts_done, suffix);
    if (p.epoch_end) {
      (*bar)->finish();
      bar->reset();
      FENLEI_LOG(kInfo) << "epoch " << p.epoch << "/" << p.epochs << "  mlm loss " << p.loss
                        << "  masked-token accuracy " << p.accuracy;
    }
  };
  auto result = train::pretrain_encoder(o);
  if (!result.ok()) return fail("pretrain", result.status());
  FENLEI_LOG(kInfo) << "saved " << o.output << " (" << result->texts << " texts, "
                    << result->steps << " steps, " << result->train_seconds << " s)";
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("pretrain", "Pretrain a transformer encoder (masked LM) on unlabelled texts",
                        23, run_pretrain);

}  // namespace fenlei::cli
