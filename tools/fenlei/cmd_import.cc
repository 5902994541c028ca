// fenlei import: a Hugging Face checkpoint directory (BERT / ELECTRA classifier) into one fenlei
// model file.
#include <iostream>

#include "cli_common.h"
#include "command.h"
#include "core/model_bundle.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Import a Hugging Face checkpoint directory as transformers saves it (config.json,\n"
    "model.safetensors or pytorch_model.bin, vocab.txt or tokenizer.json, tokenizer_config.json,\n"
    "special_tokens_map.json) into one fenlei model file. Supported: model_type bert (BERT,\n"
    "RoBERTa-wwm-ext, MacBERT, RBT3, ...) and electra (discriminator), with a\n"
    "*ForSequenceClassification head; labels come from config.json id2label. A bare encoder\n"
    "(BertModel/ElectraModel, no head) is imported without one: fine-tune it with\n"
    "`fenlei train --init MODEL` before predicting.\n"
    "pytorch_model.bin is read by a restricted reader that accepts tensors only and never runs\n"
    "code. See docs/transformers.md.\n\n"
    "Examples:\n"
    "  fenlei import ./chinese-roberta-wwm-ext-finetuned --output roberta.fenlei\n"
    "  fenlei info roberta.fenlei && echo '房间很干净' | fenlei predict roberta.fenlei";

int run_import(int argc, char** argv) {
  std::string dir, output;
  int max_len = 0;
  auto app = make_app("import", kDescription);
  app->add_option("DIR", dir, "Checkpoint directory")->required();
  app->add_option("-o,--output", output, "Model file to write")->required();
  app->add_option("--max-len", max_len,
                  "Tokens kept per text, [CLS]/[SEP] included (default: the tokenizer's "
                  "model_max_length, at most max_position_embeddings)")
      ->check(CLI::Range(2, 1 << 16));
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  auto ck = transformer::read_checkpoint(dir);
  if (!ck.ok()) return fail("import", ck.status());
  if (max_len > 0) {
    if (max_len > ck->encoder.config.max_position_embeddings)
      return fail("import", "--max-len " + std::to_string(max_len) +
                                " exceeds max_position_embeddings " +
                                std::to_string(ck->encoder.config.max_position_embeddings));
    ck->tokenizer.model_max_length = max_len;
  }
  auto tokenizer = transformer::WordPieceTokenizer::create(ck->tokenizer);
  if (!tokenizer.ok()) return fail("import", tokenizer.status().with_context(dir));
  core::ModelBundle bundle;
  const int64_t vocab_size = ck->encoder.config.vocab_size;
  bundle.engine = std::make_shared<transformer::EncoderEngine>(std::move(ck->encoder), ck->source);
  bundle.tokenizer =
      std::make_shared<transformer::WordPieceCoreTokenizer>(std::move(*tokenizer), vocab_size);
  bundle.labels = ck->labels;
  bundle.lineage = {{"imported_from", ck->source}};
  if (Status s = core::save_bundle(output, bundle); !s.ok()) return fail("import", s);
  if (bundle.labels.empty()) {
    std::cerr << "imported " << bundle.engine->architecture_name()
              << " without a classification head -> " << output
              << "\nfine-tune it before predicting: fenlei train --init " << output
              << " --input train.tsv --output model.fenlei\n";
    return kExitOk;
  }
  std::cerr << "imported " << bundle.engine->architecture_name() << " ("
            << bundle.engine->parameter_count() << " parameters, " << bundle.labels.size()
            << " labels, " << ck->source["weights"].get<std::string>() << ") -> " << output << "\n";
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("import", "Import a Hugging Face BERT/ELECTRA checkpoint", 22, run_import);

}  // namespace fenlei::cli
