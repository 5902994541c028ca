#include "report/analysis.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fenlei::report {

int argmax(const std::vector<float>& values) {
  if (values.empty()) return 0;
  return static_cast<int>(std::max_element(values.begin(), values.end()) - values.begin());
}

std::vector<CalibrationBin> calibration_bins(const std::vector<float>& confidence,
                                             const std::vector<bool>& correct, int bins,
                                             double* ece) {
  bins = std::max(1, bins);
  std::vector<CalibrationBin> out(static_cast<size_t>(bins));
  std::vector<double> confidence_sum(out.size(), 0), correct_sum(out.size(), 0);
  for (size_t b = 0; b < out.size(); ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
  }
  const size_t n = std::min(confidence.size(), correct.size());
  for (size_t i = 0; i < n; ++i) {
    const double c = std::clamp(static_cast<double>(confidence[i]), 0.0, 1.0);
    const size_t b = std::min(out.size() - 1, static_cast<size_t>(c * bins));
    ++out[b].count;
    confidence_sum[b] += c;
    correct_sum[b] += correct[i] ? 1 : 0;
  }
  double total = 0;
  for (size_t b = 0; b < out.size(); ++b) {
    if (out[b].count == 0) continue;
    const double count = static_cast<double>(out[b].count);
    out[b].mean_confidence = confidence_sum[b] / count;
    out[b].accuracy = correct_sum[b] / count;
    total += count / static_cast<double>(n) * std::fabs(out[b].accuracy - out[b].mean_confidence);
  }
  if (ece) *ece = total;
  return out;
}

std::vector<ConfusedPair> top_confused_pairs(const eval::ConfusionMatrix& confusion,
                                             size_t limit) {
  // The non-zero cells only (row-major order, as a dense walk would find them): linear in the
  // mistakes, whatever the number of labels.
  std::vector<ConfusedPair> pairs;
  for (const auto& e : confusion.entries())
    if (e.truth != e.predicted && e.count > 0) pairs.push_back({e.truth, e.predicted, e.count});
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const ConfusedPair& a, const ConfusedPair& b) { return a.count > b.count; });
  if (pairs.size() > limit) pairs.resize(limit);
  return pairs;
}

std::vector<int> most_confused_labels(const std::vector<ConfusedPair>& pairs, size_t limit) {
  std::vector<int> labels;
  auto add = [&](int label) {
    if (labels.size() < limit && std::find(labels.begin(), labels.end(), label) == labels.end())
      labels.push_back(label);
  };
  for (const auto& p : pairs) {
    add(p.truth);
    add(p.predicted);
  }
  return labels;
}

std::vector<size_t> worst_examples(const std::vector<int>& truth,
                                   const std::vector<std::vector<float>>& probabilities,
                                   size_t limit) {
  std::vector<size_t> wrong;
  const size_t n = std::min(truth.size(), probabilities.size());
  auto truth_probability = [&](size_t i) {
    const auto t = static_cast<size_t>(truth[i]);
    return t < probabilities[i].size() ? probabilities[i][t] : 0.0f;
  };
  for (size_t i = 0; i < n; ++i) {
    if (argmax(probabilities[i]) != truth[i]) wrong.push_back(i);
  }
  std::stable_sort(wrong.begin(), wrong.end(), [&](size_t a, size_t b) {
    return truth_probability(a) < truth_probability(b);
  });
  if (wrong.size() > limit) wrong.resize(limit);
  return wrong;
}

std::vector<double> length_bin_edges(const std::vector<size_t>& values, int bins) {
  bins = std::max(1, bins);
  const size_t max_value = values.empty() ? 1 : *std::max_element(values.begin(), values.end());
  // A round bin width (1, 2, 5 x 10^k) so the axis reads "0, 20, 40 ...".
  const double raw = std::max(1.0, static_cast<double>(max_value + 1) / bins);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double width = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    width = m * magnitude;
    if (width >= raw) break;
  }
  std::vector<double> edges = {0};
  while (edges.back() <= static_cast<double>(max_value)) edges.push_back(edges.back() + width);
  return edges;
}

std::vector<double> count_into_bins(const std::vector<double>& values, const std::vector<double>& edges) {
  std::vector<double> counts(edges.size() < 2 ? 0 : edges.size() - 1, 0);
  for (double v : values) {
    if (counts.empty() || v < edges.front() || v > edges.back()) continue;
    size_t b = static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin());
    b = b == 0 ? 0 : b - 1;
    if (b >= counts.size()) b = counts.size() - 1;  // v == the last edge: the last bin
    counts[b] += 1;
  }
  return counts;
}

}  // namespace fenlei::report
