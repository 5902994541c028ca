#include "transformer_preset_cli.h"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "cli_common.h"
#include "encoder_train_cli.h"
#include "fenlei/log.h"
#include "train/transformer_preset.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Train a small BERT-style transformer from scratch on labelled data (no pretrained\n"
    "checkpoint): a WordPiece vocabulary is built from the training texts (every CJK character a\n"
    "token, plus frequent words and word pieces), a randomly initialised encoder is made, and\n"
    "it is trained with a classification head by the transformer fine-tuning loop. Besides the\n"
    "architecture flags below, every flag of `fenlei train --init MODEL --help` applies\n"
    "(--epochs, --lr, --batch-size, --patience, --seed, --threads, ...). Preset defaults: 2\n"
    "layers, hidden 128, 2 heads, FFN 512, vocabulary <= 20,000, --max-len 128, AdamW --lr 1e-3\n"
    "with 10 % warm-up and linear decay, --epochs 6, --patience 2 on validation loss (best epoch\n"
    "kept). See docs/transformers.md.\n\n"
    "Examples:\n"
    "  fenlei train --model transformer --input train.tsv --valid dev.tsv -o m.fenlei\n"
    "  fenlei train --model transformer -i train.tsv -o m.fenlei --layers 4 --epochs 12 -t 2";

// Flags of this preset only; they are removed before the rest goes to fine-tuning.
const std::set<std::string> kPresetOnly = {"-m", "--model", "--layers", "--hidden-size",
                                           "--heads", "--ffn-size", "--vocab-size"};

std::string flag_name(const char* arg) {
  std::string a(arg);
  const size_t eq = a.find('=');
  return a.rfind("--", 0) == 0 && eq != std::string::npos ? a.substr(0, eq) : a;
}

}  // namespace

bool wants_transformer_preset(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model=transformer") == 0) return true;
    if ((std::strcmp(argv[i], "--model") == 0 || std::strcmp(argv[i], "-m") == 0) && i + 1 < argc &&
        std::strcmp(argv[i + 1], "transformer") == 0)
      return true;
  }
  return false;
}

int run_transformer_preset(int argc, char** argv) {
  train::ScratchEncoderOptions arch;
  std::string model, input, valid, output, init, format = "auto";
  double validation_split = train::EncoderFinetuneOptions().validation_split;
  data::ReadOptions read;
  uint64_t seed = train::EncoderFinetuneOptions().seed;
  auto app = make_app("train", kDescription);
  app->allow_extras();
  app->add_option("-m,--model", model, "transformer")->required();
  app->add_option("--layers", arch.layers, "Encoder layers (default 2)");
  app->add_option("--hidden-size", arch.hidden, "Hidden size (default 128)");
  app->add_option("--heads", arch.heads, "Attention heads (default 2)");
  app->add_option("--ffn-size", arch.ffn, "Feed-forward (intermediate) size (default 512)");
  app->add_option("--vocab-size", arch.vocab_size,
                  "Most WordPiece tokens built from the training texts (default 20000)");
  app->add_option("--max-len", arch.max_len, "Tokens per text with [CLS]/[SEP] (default 128)");
  app->add_option("-i,--input", input, "Training data file")->required();
  app->add_option("--valid", valid, "Validation data file (default: split from --input)");
  app->add_option("--validation-split", validation_split, "Held-out fraction without --valid");
  app->add_option("--format", format, "auto, tsv, csv, jsonl or fasttext");
  app->add_option("--text-column", read.text_column, "Column (or JSON key) holding the text");
  app->add_option("--label-column", read.label_column, "Column (or JSON key) holding the label");
  app->add_flag("--skip-bad-rows", read.skip_bad_rows, "Skip malformed rows");
  app->add_option("-o,--output", output, "Model file to write")->required();
  app->add_option("--init", init, "(not with this preset: it starts from random weights)");
  app->add_option("--seed", seed, "Random seed (initial weights, order, dropout)");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  auto usage = [](const std::string& message) {
    std::cerr << "fenlei train: error: " << message << "\n";
    return kExitUsage;
  };
  if (!init.empty())
    return usage("--init fine-tunes an existing transformer; --model transformer trains one from "
                 "scratch (give one of them)");
  if (Status s = arch.validate(); !s.ok()) return usage(s.message());
  if (auto f = data::parse_data_format(format); f.ok()) read.format = *f; else return usage(f.status().message());
  arch.seed = seed;

  auto texts = train::preset_training_texts(input, valid, validation_split, read);
  if (!texts.ok()) return fail("train", texts.status());
  const std::string init_path = train::scratch_init_path(output);
  if (Status s = train::write_scratch_encoder(arch, *texts, init_path); !s.ok())
    return fail("train", s);
  texts->clear();
  FENLEI_LOG(kInfo) << "transformer preset: bert-L" << arch.layers << "-H" << arch.hidden
                    << " from scratch (" << arch.heads << " heads, FFN " << arch.ffn << ")";

  // The fine-tuning command line: this one less the preset's own flags, --init the new encoder,
  // and the preset's defaults for every training flag not given.
  std::vector<std::string> args = {argv[0], "--init", init_path};
  std::set<std::string> given;
  for (int i = 1; i < argc; ++i) {
    const std::string name = flag_name(argv[i]);
    const bool has_value = name == argv[i];  // --flag value, not --flag=value
    if (kPresetOnly.count(name) > 0) {
      if (has_value && i + 1 < argc) ++i;
      continue;
    }
    given.insert(name);
    args.push_back(argv[i]);
  }
  if (given.count("--max-len") == 0) args.insert(args.end(), {"--max-len", std::to_string(arch.max_len)});
  for (const auto& [flag, value] : train::transformer_preset_flag_defaults()) {
    if (flag == "max-len" || given.count("--" + flag) > 0) continue;
    args.insert(args.end(), {"--" + flag, value});
  }
  std::vector<char*> argv2;
  for (std::string& a : args) argv2.push_back(a.data());
  argv2.push_back(nullptr);
  const int rc = run_encoder_training("train", static_cast<int>(args.size()), argv2.data());
  std::remove(init_path.c_str());
  return rc;
}

}  // namespace fenlei::cli
