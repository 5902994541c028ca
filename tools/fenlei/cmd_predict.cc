// fenlei predict: classify one text per input line.
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
    "Classify texts, one per input line, from FILE or standard input.\n\n"
    "Output, one line per input line:\n"
    "  label<TAB>probability                  (the best label)\n"
    "  label<TAB>prob<TAB>label<TAB>prob ...  (with --k K: the K best, best first)\n"
    "  {\"label\": ..., \"score\": ..., \"top_k\": [{\"label\": ..., \"score\": ...}]}  (--json)\n"
    "Labels below --threshold are left out; a line whose labels are all below it prints an\n"
    "empty line (JSON: an empty top_k), so output lines always match input lines.\n"
    "An empty line, or a text of only unknown words, is classified from the unknown-token\n"
    "embedding: it gets a valid prediction, usually the most common training label.\n"
    "Multi-label models print every label whose probability is at least --threshold (default\n"
    "0.5 for them), best first; --k limits how many.\n\n"
    "Examples:\n"
    "  echo '房间很干净，服务也好' | fenlei predict reviews.fenlei\n"
    "  fenlei predict reviews.fenlei texts.txt --k 3 --json";

constexpr size_t kBatchLines = 512;

void print_prediction(const Prediction& p, bool json) {
  if (json) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& s : p.top_k) top.push_back({{"label", s.label}, {"score", s.score}});
    nlohmann::json j = {{"label", p.label}, {"score", p.score}, {"top_k", top}};
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  std::string line;
  char buf[32];
  for (const auto& s : p.top_k) {
    if (!line.empty()) line += '\t';
    std::snprintf(buf, sizeof(buf), "%.6g", s.score);
    line += s.label + "\t" + buf;
  }
  std::cout << line << "\n";
}

int run_predict(int argc, char** argv) {
  std::string model_path, input = "-";
  PredictOptions options;
  LoadOptions load;
  bool json = false, replace_invalid = false;
  auto app = make_app("predict", kDescription);
  app->add_option("MODEL", model_path, "Model file (float or int8)")->required();
  app->add_option("FILE", input, "Texts, one per line ('-' or nothing: standard input)");
  app->add_option("-k,--k", options.k, "How many labels to print per text")
      ->check(CLI::PositiveNumber);
  app->add_option("--threshold", options.threshold, "Leave out labels below this probability")
      ->check(CLI::Range(0.0, 1.0));
  app->add_flag("--json", json, "One JSON object per line");
  app->add_flag("--replace-invalid-utf8", replace_invalid,
                "Replace invalid UTF-8 with U+FFFD instead of failing");
  add_intra_op_threads_flag(*app, load.intra_op_threads);
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;

  auto model = Classifier::load(model_path, load);
  if (!model.ok()) return fail("predict", model.status());
  {  // the model's defaults (multi-label: the labels that apply) for what was not given
    const PredictOptions defaults = default_predict_options((*model)->info());
    if (app->count("--k") == 0) options.k = defaults.k;
    if (app->count("--threshold") == 0) options.threshold = defaults.threshold;
  }
  auto in = LineInput::open(input);
  if (!in.ok()) return fail("predict", in.status());
  std::ios::sync_with_stdio(false);
  std::vector<std::string> lines;
  std::string line;
  // Answers what has been read whenever no further line is waiting (an interactive writer gets
  // its answer at once, as fastText gives it), and in batches of kBatchLines otherwise.
  auto flush = [&]() -> bool {
    auto predictions = (*model)->predict(lines, options);
    if (!predictions.ok()) {
      fail("predict", predictions.status());
      return false;
    }
    for (const auto& p : *predictions) print_prediction(p, json);
    lines.clear();
    // Stop at the first failed write, not after classifying the whole input.
    if (Status s = flush_stdout(); !s.ok()) return fail("predict", s), false;
    return true;
  };
  while (true) {
    auto got = (*in)->next(&line);
    if (!got.ok()) {
      if (!lines.empty()) flush();
      return fail("predict", got.status());
    }
    if (!*got) break;
    if (replace_invalid) {
      line = utf8::replace_invalid(line);
    } else if (Status s = utf8::validate(line, (*in)->name() + ":" +
                                                   std::to_string((*in)->line_number()));
               !s.ok()) {
      if (!lines.empty() && !flush()) return kExitFailure;
      return fail("predict", s);
    }
    lines.push_back(std::move(line));
    if ((lines.size() >= kBatchLines || !(*in)->ready()) && !flush()) return kExitFailure;
  }
  if (!lines.empty() && !flush()) return kExitFailure;
  std::cout.flush();
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("predict", "Classify texts, one per line", 40, run_predict);

}  // namespace fenlei::cli
