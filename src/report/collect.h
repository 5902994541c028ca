// Fills ReportData from files: the model, optional labelled test data and an optional training
// log (the JSON lines `fenlei train --log` writes).
#pragma once

#include <string>
#include <vector>

#include "fenlei/classifier.h"
#include "data/dataset.h"
#include "fenlei/status.h"
#include "report/report_data.h"

namespace fenlei::report {

// The per-epoch history the model file records (metadata.training.history), and the epoch whose
// weights it holds (training.best_epoch when the best weights were restored, else the last).
std::vector<EpochRow> history_from_metadata(const std::string& metadata_json, int* kept_epoch);

// Parses a --log file: one JSON object per line with epoch, train_loss, ... A resumed run
// appends to the log, so a later line for the same epoch replaces the earlier one.
// INVALID_ARGUMENT naming the line for anything that is not such an object.
StatusOr<std::vector<EpochRow>> parse_training_log(const std::string& content, const std::string& name);

struct CollectOptions {
  size_t worst_examples = 12;  // misclassified texts to explain
};

// Runs the model over the test set: probabilities, lengths and explanations of the worst texts.
// INVALID_ARGUMENT when the data has a label the model does not know.
StatusOr<TestResults> evaluate_test_set(const Classifier& model, const data::Dataset& dataset,
                                        const std::string& path, const CollectOptions& options);

}  // namespace fenlei::report
