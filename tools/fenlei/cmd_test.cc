// fenlei test: evaluate a model on labelled data.
#include <iostream>

#include "cli_common.h"
#include "command.h"
#include "fenlei/classifier.h"
#include "fenlei/dataset.h"
#include "eval/metrics_json.h"
#include "fenlei/metrics.h"
#include "train/encoded_data.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Evaluate a model on labelled data: N, loss, accuracy, macro-F1 and weighted-F1, and\n"
    "optionally per-class precision/recall/F1 and the confusion matrix.\n\n"
    "Examples:\n"
    "  fenlei test reviews.fenlei test.tsv\n"
    "  fenlei test reviews.fenlei test.tsv --per-class --confusion\n"
    "  fenlei test reviews.fenlei test.tsv --json | jq .macro_f1";

int run_test(int argc, char** argv) {
  std::string model_path, data_path, format = "auto";
  data::ReadOptions read;
  bool json = false, per_class = false, confusion = false;
  auto app = make_app("test", kDescription);
  app->add_option("MODEL", model_path, "Model file")->required();
  app->add_option("DATA", data_path, "Labelled data (TSV, CSV, JSONL or fastText format)")
      ->required();
  app->add_flag("--json", json, "Print one JSON object (n, loss, accuracy, macro_f1, per_class...)");
  app->add_flag("--per-class", per_class, "Print per-class precision, recall, F1 and support");
  app->add_flag("--confusion", confusion, "Print the confusion matrix (rows: true labels)");
  app->add_option("--format", format, "auto, tsv, csv, jsonl or fasttext");
  app->add_option("--text-column", read.text_column, "Column (or JSON key) holding the text");
  app->add_option("--label-column", read.label_column, "Column (or JSON key) holding the label");
  app->add_flag("--skip-bad-rows", read.skip_bad_rows, "Skip and count malformed rows");
  app->add_flag("--replace-invalid-utf8", read.replace_invalid_utf8,
                "Replace invalid UTF-8 with U+FFFD instead of rejecting the row");
  app->add_flag("--normalize-labels", read.normalize_labels,
                "Labels in NFKC case-folded form, as train --normalize-labels stores them");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;

  auto parsed_format = data::parse_data_format(format);
  if (!parsed_format.ok()) return fail("test", parsed_format.status());
  read.format = *parsed_format;
  auto model = Classifier::load(model_path);
  if (!model.ok()) return fail("test", model.status());
  auto dataset = data::read_dataset(data_path, read);
  if (!dataset.ok()) return fail("test", dataset.status());
  if (dataset->examples.empty()) return fail("test", data_path + ": no examples");
  const auto& labels = (*model)->info().labels;
  auto truth = data::label_ids(*dataset, labels, data_path);
  if (!truth.ok()) {
    return fail("test", truth.status().message() + " (the model knows: " +
                            [&] {
                              std::string s;
                              for (const auto& l : labels) s += (s.empty() ? "" : ", ") + l;
                              return s;
                            }() + ")");
  }
  std::vector<std::string> texts;
  texts.reserve(dataset->examples.size());
  for (auto& e : dataset->examples) texts.push_back(std::move(e.text));
  auto probs = (*model)->probabilities(texts);
  if (!probs.ok()) return fail("test", probs.status());
  const int c = static_cast<int>(labels.size());
  std::vector<float> flat;
  flat.reserve(texts.size() * static_cast<size_t>(c));
  std::vector<int> predicted;
  for (const auto& row : *probs) {
    flat.insert(flat.end(), row.begin(), row.end());
    predicted.push_back(static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin()));
  }
  const double loss = train::cross_entropy(flat.data(), texts.size(), c, *truth, 0) /
                      static_cast<double>(texts.size());
  const eval::Metrics metrics = eval::compute_metrics(*truth, predicted, labels, loss);
  if (json) {
    std::cout << eval::metrics_to_json(metrics).dump() << "\n";
  } else {
    std::cout << eval::format_metrics_text(metrics, per_class, confusion);
  }
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("test", "Evaluate a model on labelled data", 30, run_test);

}  // namespace fenlei::cli
