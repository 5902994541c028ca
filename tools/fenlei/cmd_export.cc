// fenlei export: a transformer model (BERT/ELECTRA, made by `fenlei import`) back into a
// Hugging Face checkpoint directory that transformers loads.
#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "command.h"
#include "core/model_bundle.h"
#include "fenlei/log.h"
#include "hf/output_directory.h"
#include "transformer/hf_export.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Write a transformer model as a Hugging Face checkpoint directory, the inverse of\n"
    "`fenlei import`: config.json (BertForSequenceClassification or\n"
    "ElectraForSequenceClassification, sizes, hidden_act, layer_norm_eps, id2label/label2id),\n"
    "model.safetensors (float32, the tensor names transformers saves), vocab.txt,\n"
    "tokenizer_config.json (BertTokenizer with the model's lower-casing, accent stripping,\n"
    "Chinese-character splitting and maximum length) and special_tokens_map.json.\n"
    "transformers then gives the probabilities fenlei gives (AutoTokenizer +\n"
    "AutoModelForSequenceClassification, truncation=True), and `fenlei import DIR` gives back\n"
    "the same weights bit for bit.\n\n"
    "Only transformer models export: a cnn/fasttext model has no transformers class. An int8\n"
    "model is refused: fenlei's int8 also quantises activations while it runs, so no float\n"
    "checkpoint reproduces its probabilities; export the float model it was quantised from.\n\n"
    "DIR is written whole or not at all (into DIR.tmp-XXXXXX beside it, then renamed). A\n"
    "non-empty DIR is refused unless --force, which replaces it and every file in it (never a\n"
    "directory that holds subdirectories).\n\n"
    "Examples:\n"
    "  fenlei export bert.fenlei --to hf ./bert-hf\n"
    "  python -c \"from transformers import pipeline; print(pipeline('text-classification', "
    "'./bert-hf')('房间很干净'))\"\n"
    "  fenlei export bert.fenlei --to hf ./bert-hf --force   # overwrite an earlier export";

int run_export(int argc, char** argv) {
  std::string model_path, dir, to;
  bool force = false;
  auto app = make_app("export", kDescription);
  app->add_option("MODEL", model_path, "Model file (a transformer imported by `fenlei import`)")
      ->required();
  app->add_option("DIR", dir, "Directory to write (created; must be new or empty unless --force)")
      ->required();
  app->add_option("--to", to, "Output format: hf (a Hugging Face transformers checkpoint)")
      ->required()
      ->check(CLI::IsMember({"hf"}));
  app->add_flag("--force", force, "Replace DIR and every file in it if it is not empty");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;

  auto model = core::load_bundle(model_path);
  if (!model.ok()) return fail("export", model.status());
  auto exported = transformer::export_hf_files(*model->engine, *model->tokenizer, model->labels);
  if (!exported.ok()) return fail("export", exported.status().with_context(model_path));
  if (force) {
    // --force removes what DIR holds: never the model being exported.
    std::error_code ec;
    const auto model_dir = std::filesystem::weakly_canonical(model_path, ec).parent_path();
    if (!ec && model_dir == std::filesystem::weakly_canonical(dir, ec) && !ec)
      return fail("export", model_path + " lies in " + dir +
                                ", which --force would replace; choose another directory");
  }
  if (Status s = hf::write_directory_atomic(dir, exported->files, force); !s.ok())
    return fail("export", s);
  for (const std::string& w : exported->warnings) FENLEI_LOG(kWarning) << w;
  std::cerr << "exported " << model->engine->architecture_name() << " ("
            << model->labels.size() << " labels) -> " << dir
            << " (config.json, model.safetensors, vocab.txt, tokenizer_config.json, "
               "special_tokens_map.json)\n";
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("export", "Write a transformer model as a Hugging Face checkpoint", 23,
                        run_export);

}  // namespace fenlei::cli
