// fenlei test: evaluate a model on labelled data.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli_common.h"
#include "command.h"
#include "base/string_util.h"
#include "base/thread_pool.h"
#include "core/model_bundle.h"
#include "eval/evaluate.h"
#include "eval/metrics_json.h"
#include "data/dataset.h"
#include "fenlei/metrics.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Evaluate a model on labelled data: N, loss, accuracy, macro-F1 and weighted-F1, and\n"
    "optionally per-class precision/recall/F1 with macro and weighted averages, the confusion\n"
    "matrix, and precision/recall at k (as fastText's `test MODEL DATA k threshold`).\n"
    "Multi-label models (rows with several labels, e.g. fastText lines with several\n"
    "__label__s): P@k and R@k, and at --threshold (default 0.5) micro and macro\n"
    "precision/recall/F1, subset accuracy and Hamming loss; --per-class adds a row per label.\n\n"
    "Examples:\n"
    "  fenlei test reviews.fenlei test.tsv\n"
    "  cat test.tsv | fenlei test reviews.fenlei --k 2 --threshold 0.3\n"
    "  fenlei test reviews.fenlei test.tsv --per-class --confusion\n"
    "  fenlei test reviews.fenlei test.tsv --json | jq .macro_f1";

// Reads the labelled data from a file, or from standard input for "-" (format from --format,
// TSV when it is auto: standard input has no extension to go by).
StatusOr<data::Dataset> read_labelled(const std::string& path, data::ReadOptions read) {
  if (path != "-") return data::read_dataset(path, read);
  std::string content((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (std::cin.bad()) return data_loss_error("<stdin>: read error");
  if (read.format == data::DataFormat::kAuto) read.format = data::DataFormat::kTsv;
  return data::parse_dataset(content, read.format, read, "<stdin>");
}

int run_test(int argc, char** argv) {
  std::string model_path, data_path = "-", format = "auto";
  data::ReadOptions read;
  eval::EvaluateOptions evaluate;
  int threads = 0;
  bool json = false, per_class = false, confusion = false;
  auto app = make_app("test", kDescription);
  app->add_option("MODEL", model_path, "Model file")->required();
  app->add_option("DATA", data_path,
                  "Labelled data (TSV, CSV, JSONL or fastText format); '-' or nothing: standard "
                  "input (TSV unless --format says otherwise)");
  app->add_flag("--json", json, "Print one JSON object (n, loss, accuracy, macro_f1, per_class...)");
  app->add_flag("--per-class", per_class,
                "Print per-class precision, recall, F1 and support, with macro and weighted "
                "averages");
  app->add_flag("--confusion", confusion, "Print the confusion matrix (rows: true label)");
  app->add_option("--k", evaluate.k,
                  "Also report precision and recall at k, as fastText's test does")
      ->check(CLI::Range(1, 1 << 20));
  app->add_option("--threshold", evaluate.threshold,
                  "With --k: labels below this probability are not predicted (default 0; "
                  "multi-label models: a label is predicted from this probability, default 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--threads", threads,
                  "Threads that split the texts (default: all cores; transformer models: all cores / "
                  "--intra-op-threads)")
      ->check(CLI::NonNegativeNumber);
  add_intra_op_threads_flag(*app, evaluate.intra_op_threads);
  app->add_option("--format", format, "auto, tsv, csv, jsonl or fasttext");
  app->add_option("--text-column", read.text_column, "Column (or JSON key) holding the text");
  app->add_option("--label-column", read.label_column, "Column (or JSON key) holding the label");
  app->add_flag("--skip-bad-rows", read.skip_bad_rows, "Skip and count malformed rows");
  app->add_flag("--replace-invalid-utf8", read.replace_invalid_utf8,
                "Replace invalid UTF-8 with U+FFFD instead of rejecting the row");
  app->add_flag("--normalize-labels", read.normalize_labels,
                "Labels in NFKC case-folded form, as train --normalize-labels stores them");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  const bool threshold_given = app->count("--threshold") > 0;

  auto parsed_format = data::parse_data_format(format);
  if (!parsed_format.ok()) return fail("test", parsed_format.status());
  read.format = *parsed_format;
  auto model = core::load_bundle(model_path);
  if (!model.ok()) return fail("test", model.status());
  auto dataset = read_labelled(data_path, read);
  if (!dataset.ok()) return fail("test", dataset.status());
  const std::string data_name = data_path == "-" ? "<stdin>" : data_path;
  if (dataset->examples.empty()) return fail("test", data_name + ": no examples");
  const auto& labels = model->labels;
  auto truth = data::label_ids(*dataset, labels, data_name);
  if (!truth.ok()) {
    return fail("test",
                truth.status().message() + " (the model knows: " + join(labels, ", ") + ")");
  }
  std::vector<std::string> texts;
  texts.reserve(dataset->examples.size());
  for (auto& e : dataset->examples) texts.push_back(std::move(e.text));
  const bool multi_label = model->engine->multi_label();
  data::LabelSets sets;
  if (multi_label) {
    auto s = data::label_sets(*dataset, labels, data_name);
    if (!s.ok()) return fail("test", s.status());
    sets = std::move(*s);
    evaluate.label_sets = &sets;
    if (threshold_given) evaluate.multi_label_threshold = evaluate.threshold;
    evaluate.threshold = 0.0f;
    if (evaluate.k == 0) evaluate.k = 1;
  } else if (evaluate.threshold > 0 && evaluate.k == 0) {
    evaluate.k = 1;
  }
  // All cores in all: for a model that splits one text (a transformer), each text-thread runs
  // its texts on intra_op_threads threads.
  if (threads == 0 && model->engine->uses_intra_op_threads())
    threads = std::max(1, ThreadPool::hardware_threads() / evaluate.intra_op_threads);
  auto result = eval::evaluate_texts(*model, texts, *truth, threads, evaluate);
  if (!result.ok()) return fail("test", result.status());
  if (result->multi_label) {
    if (json) {
      nlohmann::json out = eval::multilabel_to_json(*result->multi_label);
      out["loss"] = result->metrics.loss;
      std::cout << out.dump() << "\n";
    } else {
      std::cout << eval::format_multilabel_text(*result->multi_label, per_class);
    }
    return kExitOk;
  }
  if (json) {
    nlohmann::json out = eval::metrics_to_json(result->metrics);
    if (evaluate.k > 0) {
      out["k"] = evaluate.k;
      out["threshold"] = evaluate.threshold;
      out["precision_at_k"] = result->precision_at_k;
      out["recall_at_k"] = result->recall_at_k;
    }
    std::cout << out.dump() << "\n";
  } else {
    std::cout << eval::format_metrics_text(result->metrics, per_class, confusion);
    if (evaluate.k > 0) {
      std::printf("P@%d\t%.4f\nR@%d\t%.4f\n", evaluate.k, result->precision_at_k, evaluate.k,
                  result->recall_at_k);
    }
  }
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("test", "Evaluate a model on labelled data", 30, run_test);

}  // namespace fenlei::cli
