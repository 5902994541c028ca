#include "fenlei/metrics.h"

#include <algorithm>
#include <cassert>

namespace fenlei::eval {

Metrics compute_metrics(const std::vector<int>& truth, const std::vector<int>& predicted,
                        const std::vector<std::string>& labels, double mean_loss) {
  const size_t k = labels.size();
  Metrics m;
  m.loss = mean_loss;
  m.confusion.assign(k, std::vector<int64_t>(k, 0));
  const size_t n = std::min(truth.size(), predicted.size());
  int64_t correct = 0;
  for (size_t i = 0; i < n; ++i) {
    const int t = truth[i], p = predicted[i];
    const bool in_range = t >= 0 && p >= 0 && static_cast<size_t>(t) < k && static_cast<size_t>(p) < k;
    assert(in_range && "label id out of range");
    if (!in_range) continue;
    ++m.confusion[static_cast<size_t>(t)][static_cast<size_t>(p)];
    ++m.n;
    if (t == p) ++correct;
  }
  if (m.n > 0) m.accuracy = static_cast<double>(correct) / static_cast<double>(m.n);

  double macro_sum = 0.0, weighted_sum = 0.0;
  double macro_p = 0.0, macro_r = 0.0, weighted_p = 0.0, weighted_r = 0.0;
  int64_t macro_count = 0;
  for (size_t c = 0; c < k; ++c) {
    int64_t tp = m.confusion[c][c], fn = 0, fp = 0;
    for (size_t j = 0; j < k; ++j) {
      if (j == c) continue;
      fn += m.confusion[c][j];
      fp += m.confusion[j][c];
    }
    ClassMetrics cm;
    cm.label = labels[c];
    cm.support = tp + fn;
    if (tp + fp > 0) cm.precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    if (tp + fn > 0) cm.recall = static_cast<double>(tp) / static_cast<double>(tp + fn);
    if (2 * tp + fp + fn > 0)
      cm.f1 = 2.0 * static_cast<double>(tp) / static_cast<double>(2 * tp + fp + fn);
    if (tp + fp + fn > 0) {  // occurs in the truth or the predictions
      macro_sum += cm.f1;
      macro_p += cm.precision;
      macro_r += cm.recall;
      ++macro_count;
    }
    weighted_sum += cm.f1 * static_cast<double>(cm.support);
    weighted_p += cm.precision * static_cast<double>(cm.support);
    weighted_r += cm.recall * static_cast<double>(cm.support);
    m.per_class.push_back(std::move(cm));
  }
  if (macro_count > 0) {
    m.macro_f1 = macro_sum / static_cast<double>(macro_count);
    m.macro_precision = macro_p / static_cast<double>(macro_count);
    m.macro_recall = macro_r / static_cast<double>(macro_count);
  }
  if (m.n > 0) {
    m.weighted_f1 = weighted_sum / static_cast<double>(m.n);
    m.weighted_precision = weighted_p / static_cast<double>(m.n);
    m.weighted_recall = weighted_r / static_cast<double>(m.n);
  }
  return m;
}

}  // namespace fenlei::eval
