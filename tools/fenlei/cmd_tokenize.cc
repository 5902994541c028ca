// fenlei tokenize: what any model makes of each input line, before its engine sees it.
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "command.h"
#include "core/model_bundle.h"
#include "line_input.h"
#include "format/model_file.h"
#include "text/utf8.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Print, for each input line, the tokens and ids the model's engine sees: after\n"
    "normalisation, segmentation (jieba words, characters) or WordPiece, vocabulary lookup,\n"
    "special tokens ([CLS]/[SEP]) and truncation. Tokens are the vocabulary entries of the ids\n"
    "(an unknown word shows as the unknown token).\n\n"
    "Output per line: tokens separated by spaces, a TAB, the ids separated by spaces; with\n"
    "--json: {\"tokens\": [...], \"ids\": [...]}.\n\n"
    "Examples:\n"
    "  echo '房间很干净' | fenlei tokenize reviews.fenlei\n"
    "  fenlei tokenize bert.fenlei texts.txt --json";

int run_tokenize(int argc, char** argv) {
  std::string model_path, input = "-";
  bool json = false;
  auto app = make_app("tokenize", kDescription);
  app->add_option("MODEL", model_path, "Model file")->required();
  app->add_option("FILE", input, "Texts, one per line ('-' or nothing: standard input)");
  app->add_flag("--json", json, "One JSON object per line");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  auto file = format::read_model_file(model_path);
  if (!file.ok()) return fail("tokenize", file.status());
  auto model = core::bundle_from_model_file(*file, model_path);
  if (!model.ok()) return fail("tokenize", model.status());
  auto in = LineInput::open(input);
  if (!in.ok()) return fail("tokenize", in.status());
  const std::vector<std::string>& vocabulary = file->vocabulary;
  std::string line;
  std::vector<int32_t> ids;
  while (true) {
    auto got = (*in)->next(&line);  // without its "\n" or "\r\n"
    if (!got.ok()) return fail("tokenize", got.status());
    if (!*got) break;
    model->tokenizer->encode(utf8::replace_invalid(line), &ids);
    nlohmann::json tokens = nlohmann::json::array();
    for (int32_t id : ids)
      tokens.push_back(id >= 0 && static_cast<size_t>(id) < vocabulary.size() ? vocabulary[id] : "");
    if (json) {
      nlohmann::json j = {{"tokens", tokens}, {"ids", ids}};
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      continue;
    }
    std::string out;
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + tokens[i].get<std::string>();
    out += "\t";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + std::to_string(ids[i]);
    std::cout << out << "\n";
  }
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("tokenize", "Show the tokens and ids a model makes of texts", 45, run_tokenize);

}  // namespace fenlei::cli
