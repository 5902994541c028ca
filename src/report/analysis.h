// The numbers behind the evaluation charts, computed from probabilities and label ids.
#pragma once

#include <cstdint>
#include <vector>

#include "fenlei/metrics.h"
#include "report/charts.h"

namespace fenlei::report {

// Index of the largest value (the first on ties), as the classifier picks its label.
int argmax(const std::vector<float>& values);

// `bins` equal-width confidence bins over [0, 1] of the predicted label's probability, with the
// accuracy reached in each; *ece receives the expected calibration error
// (sum over bins of |accuracy - mean confidence| weighted by the bin's share of texts).
std::vector<CalibrationBin> calibration_bins(const std::vector<float>& confidence,
                                             const std::vector<bool>& correct, int bins, double* ece);

struct ConfusedPair {
  int truth = 0, predicted = 0;
  int64_t count = 0;
};
// The off-diagonal cells of a confusion matrix, largest first (ties: row, then column order),
// at most `limit`.
std::vector<ConfusedPair> top_confused_pairs(const eval::ConfusionMatrix& confusion,
                                             size_t limit);

// The labels in the most confused pairs, in order of first appearance, at most `limit`: the rows
// and columns of a readable cut-out of a large confusion matrix.
std::vector<int> most_confused_labels(const std::vector<ConfusedPair>& pairs, size_t limit);

// Misclassified texts, most confident mistakes first (lowest probability of the true label;
// ties by index), at most `limit`.
std::vector<size_t> worst_examples(const std::vector<int>& truth,
                                   const std::vector<std::vector<float>>& probabilities,
                                   size_t limit);

// Histogram edges for non-negative integer data (text lengths): about `bins` round-width bins
// from 0 to past the maximum.
std::vector<double> length_bin_edges(const std::vector<size_t>& values, int bins);
std::vector<double> count_into_bins(const std::vector<double>& values, const std::vector<double>& edges);

}  // namespace fenlei::report
