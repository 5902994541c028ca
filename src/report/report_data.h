// What a report shows, gathered before any HTML is written: the model's facts, its per-epoch
// history and, with test data, every text's probabilities and explanations of the worst ones.
// render_report (report.h) turns this into the page; collect.h fills it from files.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "fenlei/classifier.h"

namespace fenlei::report {

struct EpochRow {
  int epoch = 0;
  double train_loss = NAN, train_accuracy = NAN;
  double valid_loss = NAN, valid_accuracy = NAN;
  double lr = NAN;
  double examples_per_second = NAN;  // only in --log files (timings stay out of model files)
};

// A misclassified test text, most confident mistakes first.
struct WorstExample {
  std::string text;
  int truth = 0, predicted = 0;  // label ids
  float truth_probability = 0, predicted_probability = 0;
  Explanation explanation;  // of the predicted label: which words pulled the model there
};

// Single-label results (binary and multi-class). Multi-label models will add their own
// (a set of true labels and per-label decisions per text) beside these, with a section of
// their own (report_sections.h), rather than bending these.
struct TestResults {
  std::string path;
  std::vector<int> truth;                        // label ids
  std::vector<std::vector<float>> probabilities; // [text][label]
  std::vector<size_t> lengths;                   // characters per text
  std::vector<WorstExample> worst;
};

struct ReportData {
  std::string model_path;
  ModelInfo info;                  // info.metadata_json holds config, training summary, lineage
  std::vector<EpochRow> history;   // ascending epochs; empty when neither model nor log has one
  std::string history_source;      // "model file" or the --log path
  int kept_epoch = 0;              // the epoch whose weights the model holds; 0 = unknown
  bool has_test = false;
  TestResults test;
};

}  // namespace fenlei::report
