// fenlei explain: which tokens made a model choose its label, one input line at a time.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "command.h"
#include "line_input.h"
#include "fenlei/classifier.h"
#include "text/utf8.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Explain predictions, one text per input line, from FILE or standard input: for every token\n"
    "the model read, how much the label's probability drops when that token is left out\n"
    "(leave-one-out occlusion: positive = evidence for the label, negative = against it). It\n"
    "runs the model itself once per token, so it shows what the model does, for every\n"
    "architecture and for int8 models alike. A confident prediction that several words support\n"
    "shows small weights everywhere: no single word changes it.\n\n"
    "Output, one line per input line:\n"
    "  label<TAB>probability<TAB>token(+0.123) token(-0.045) ...   (tokens in text order)\n"
    "  with --top N: the N tokens that weigh most (by absolute weight), heaviest first\n"
    "  --json: {\"label\", \"score\", \"truncated\", \"tokens\": [{\"token\", \"weight\", \"known\"}]}\n"
    "Tokens not in the vocabulary are marked with a trailing '?' (JSON: \"known\": false).\n\n"
    "Examples:\n"
    "  echo '房间很干净，就是隔音太差' | fenlei explain reviews.fenlei\n"
    "  fenlei explain reviews.fenlei texts.txt --label neg --top 5 --json";

void print_explanation(Explanation e, int top, bool json) {
  if (top > 0) {
    std::stable_sort(e.tokens.begin(), e.tokens.end(),
                     [](const TokenAttribution& a, const TokenAttribution& b) {
                       return std::fabs(a.weight) > std::fabs(b.weight);
                     });
    if (e.tokens.size() > size_t(top)) e.tokens.resize(size_t(top));
  }
  if (json) {
    nlohmann::json tokens = nlohmann::json::array();
    for (const auto& t : e.tokens)
      tokens.push_back({{"token", t.token}, {"weight", t.weight}, {"known", t.known}});
    nlohmann::json j = {{"label", e.label},
                        {"score", e.score},
                        {"truncated", e.truncated},
                        {"tokens", tokens}};
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.6g", e.score);
  std::string line = e.label + "\t" + buf + "\t";
  for (size_t i = 0; i < e.tokens.size(); ++i) {
    const auto& t = e.tokens[i];
    std::snprintf(buf, sizeof(buf), "(%+.3f)", t.weight);
    if (i > 0) line += ' ';
    line += t.token + (t.known ? "" : "?") + buf;
  }
  if (e.truncated) line += " …";
  std::cout << line << "\n";
}

int run_explain(int argc, char** argv) {
  std::string model_path, input = "-";
  ExplainOptions options;
  LoadOptions load;
  int top = 0;
  bool json = false;
  auto app = make_app("explain", kDescription);
  app->add_option("MODEL", model_path, "Model file (float or int8)")->required();
  app->add_option("FILE", input, "Texts, one per line ('-' or nothing: standard input)");
  app->add_option("--label", options.label, "Explain this label (default: the predicted one)");
  app->add_option("--top", top, "Only the N heaviest tokens, heaviest first (0 = all, in order)")
      ->check(CLI::NonNegativeNumber);
  app->add_flag("--json", json, "One JSON object per line");
  add_intra_op_threads_flag(*app, load.intra_op_threads);
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;

  auto model = Classifier::load(model_path, load);
  if (!model.ok()) return fail("explain", model.status());
  auto in = LineInput::open(input);
  if (!in.ok()) return fail("explain", in.status());
  std::ios::sync_with_stdio(false);
  std::string line;
  while (true) {
    auto got = (*in)->next(&line);
    if (!got.ok()) return fail("explain", got.status());
    if (!*got) break;
    const std::string where = (*in)->name() + ":" + std::to_string((*in)->line_number());
    if (Status s = utf8::validate(line, where); !s.ok()) return fail("explain", s);
    auto e = (*model)->explain(line, options);
    if (!e.ok()) return fail("explain", where + ": " + e.status().message());
    print_explanation(std::move(*e), top, json);
    // Flushed line by line: an interactive writer waits for this answer, and a failed write
    // stops the command at once.
    if (Status s = flush_stdout(); !s.ok()) return fail("explain", s);
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("explain", "Show which words made the model choose its label", 42,
                        run_explain);

}  // namespace fenlei::cli
