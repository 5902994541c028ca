// fenlei report: one self-contained HTML page about a model (docs/report.md).
#include <iostream>

#include "cli_common.h"
#include "command.h"
#include "fenlei/classifier.h"
#include "data/dataset.h"
#include "base/file_util.h"
#include "report/collect.h"
#include "report/report.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Write one self-contained HTML page about a model: its card (architecture, sizes, training\n"
    "data, options, lineage), training curves with the kept epoch marked and, with --test, the\n"
    "confusion matrix, per-class precision/recall/F1, calibration, the worst-classified texts\n"
    "with their words coloured by explain weights, and text-length and label distributions.\n"
    "Inline SVG and CSS only: no script, nothing fetched; it opens offline and prints.\n\n"
    "Examples:\n"
    "  fenlei report reviews.fenlei --output report.html\n"
    "  fenlei report reviews.fenlei --test test.tsv --log train.log.jsonl -o report.html";

int run_report(int argc, char** argv) {
  std::string model_path, test_path, log_path, output, format = "auto";
  data::ReadOptions read;
  report::CollectOptions collect;
  auto app = make_app("report", kDescription);
  app->add_option("MODEL", model_path, "Model file (float or int8)")->required();
  app->add_option("--test", test_path, "Labelled data to evaluate on (TSV, CSV, JSONL, fastText)");
  app->add_option("--log", log_path,
                  "Training log (the JSON lines `fenlei train --log` wrote); default: the "
                  "history stored in the model");
  app->add_option("-o,--output", output, "HTML file to write")->required();
  app->add_option("--examples", collect.worst_examples,
                  "Worst-classified test texts to show with explanations")
      ->check(CLI::Range(0, 1000));
  app->add_option("--format", format, "Format of --test: auto, tsv, csv, jsonl or fasttext");
  app->add_option("--text-column", read.text_column, "Column (or JSON key) holding the text");
  app->add_option("--label-column", read.label_column, "Column (or JSON key) holding the label");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;

  auto model = Classifier::load(model_path);
  if (!model.ok()) return fail("report", model.status());
  report::ReportData data;
  data.model_path = model_path;
  data.info = (*model)->info();
  data.history = report::history_from_metadata(data.info.metadata_json, &data.kept_epoch);
  data.history_source = "model file";
  if (!log_path.empty()) {
    auto content = read_file(log_path);
    if (!content.ok()) return fail("report", content.status());
    auto rows = report::parse_training_log(*content, log_path);
    if (!rows.ok()) return fail("report", rows.status());
    data.history = std::move(*rows);
    data.history_source = "training log " + log_path;
    if (data.kept_epoch == 0 && !data.history.empty()) data.kept_epoch = data.history.back().epoch;
  }
  if (!test_path.empty()) {
    auto parsed_format = data::parse_data_format(format);
    if (!parsed_format.ok()) return fail("report", parsed_format.status());
    read.format = *parsed_format;
    auto dataset = data::read_dataset(test_path, read);
    if (!dataset.ok()) return fail("report", dataset.status());
    auto results = report::evaluate_test_set(**model, *dataset, test_path, collect);
    if (!results.ok()) return fail("report", results.status());
    data.test = std::move(*results);
    data.has_test = true;
  }
  if (Status s = write_file_atomic(output, report::render_report(data)); !s.ok()) {
    return fail("report", s);
  }
  std::cerr << "wrote " << output << "\n";
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("report", "Write an HTML report: model card, curves, errors, calibration", 45,
                        run_report);

}  // namespace fenlei::cli
