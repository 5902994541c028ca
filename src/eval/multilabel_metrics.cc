#include "eval/multilabel_metrics.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "fenlei/metrics.h"

namespace fenlei::eval {
namespace {

double ratio(int64_t a, int64_t b) { return b > 0 ? double(a) / double(b) : 0.0; }
double f1_of(int64_t tp, int64_t fp, int64_t fn) { return ratio(2 * tp, 2 * tp + fp + fn); }

}  // namespace

MultiLabelAccumulator::MultiLabelAccumulator(std::vector<std::string> labels, int k,
                                             float threshold)
    : labels_(std::move(labels)),
      k_(std::max(1, k)),
      threshold_(threshold),
      tp_(labels_.size()),
      fp_(labels_.size()),
      fn_(labels_.size()),
      order_(labels_.size()),
      truth_(labels_.size()) {}

void MultiLabelAccumulator::add(const float* p, const int32_t* truth, int n_truth) {
  const int c = static_cast<int>(labels_.size());
  for (int i = 0; i < n_truth; ++i) truth_[size_t(truth[i])] = 1;
  // At k: the k most probable labels (ties to the lower id), as fastText's predict returns them.
  const int k = std::min(k_, c);
  std::iota(order_.begin(), order_.end(), 0);
  std::partial_sort(order_.begin(), order_.begin() + k, order_.end(),
                    [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  for (int i = 0; i < k; ++i) hits_at_k_ += truth_[size_t(order_[size_t(i)])];
  returned_at_k_ += k;
  truth_total_ += n_truth;
  // At the threshold.
  bool exact = true;
  for (int l = 0; l < c; ++l) {
    const bool predicted = p[l] >= threshold_;
    const bool actual = truth_[size_t(l)] != 0;
    tp_[size_t(l)] += predicted && actual;
    fp_[size_t(l)] += predicted && !actual;
    fn_[size_t(l)] += !predicted && actual;
    if (predicted != actual) {
      exact = false;
      ++wrong_decisions_;
    }
  }
  exact_ += exact;
  ++n_;
  for (int i = 0; i < n_truth; ++i) truth_[size_t(truth[i])] = 0;
}

void MultiLabelAccumulator::merge(const MultiLabelAccumulator& o) {
  n_ += o.n_;
  exact_ += o.exact_;
  wrong_decisions_ += o.wrong_decisions_;
  hits_at_k_ += o.hits_at_k_;
  returned_at_k_ += o.returned_at_k_;
  truth_total_ += o.truth_total_;
  for (size_t l = 0; l < tp_.size(); ++l) {
    tp_[l] += o.tp_[l];
    fp_[l] += o.fp_[l];
    fn_[l] += o.fn_[l];
  }
}

MultiLabelMetrics MultiLabelAccumulator::finish() const {
  MultiLabelMetrics m;
  m.n = n_;
  m.k = k_;
  m.threshold = threshold_;
  m.precision_at_k = ratio(hits_at_k_, returned_at_k_);
  m.recall_at_k = ratio(hits_at_k_, truth_total_);
  int64_t tp = 0, fp = 0, fn = 0;
  int present = 0;
  for (size_t l = 0; l < labels_.size(); ++l) {
    MultiLabelMetrics::PerLabel pl;
    pl.label = labels_[l];
    pl.precision = ratio(tp_[l], tp_[l] + fp_[l]);
    pl.recall = ratio(tp_[l], tp_[l] + fn_[l]);
    pl.f1 = f1_of(tp_[l], fp_[l], fn_[l]);
    pl.support = tp_[l] + fn_[l];
    pl.predicted = tp_[l] + fp_[l];
    tp += tp_[l];
    fp += fp_[l];
    fn += fn_[l];
    // As for single-label macro F1: a label absent from truth and predictions says nothing.
    if (pl.support > 0 || pl.predicted > 0) {
      ++present;
      m.macro_precision += pl.precision;
      m.macro_recall += pl.recall;
      m.macro_f1 += pl.f1;
    }
    m.per_label.push_back(std::move(pl));
  }
  if (present > 0) {
    m.macro_precision /= present;
    m.macro_recall /= present;
    m.macro_f1 /= present;
  }
  m.micro_precision = ratio(tp, tp + fp);
  m.micro_recall = ratio(tp, tp + fn);
  m.micro_f1 = f1_of(tp, fp, fn);
  m.subset_accuracy = ratio(exact_, n_);
  m.hamming_loss = ratio(wrong_decisions_, n_ * int64_t(labels_.size()));
  return m;
}

std::string format_multilabel_text(const MultiLabelMetrics& m, bool per_label) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "n %lld  P@%d %.4f  R@%d %.4f\n"
                "at threshold %.2f: micro_precision %.4f  micro_recall %.4f  micro_f1 %.4f\n"
                "                   macro_precision %.4f  macro_recall %.4f  macro_f1 %.4f\n"
                "                   subset_accuracy %.4f  hamming_loss %.4f\n",
                static_cast<long long>(m.n), m.k, m.precision_at_k, m.k, m.recall_at_k,
                double(m.threshold), m.micro_precision, m.micro_recall, m.micro_f1,
                m.macro_precision, m.macro_recall, m.macro_f1, m.subset_accuracy, m.hamming_loss);
  std::string out = buf;
  if (!per_label) return out;
  size_t width = 5;
  for (const auto& pl : m.per_label) width = std::max(width, display_width(pl.label));
  auto pad = [&](const std::string& s) { return s + std::string(width - display_width(s), ' '); };
  out += "\n" + pad("label") + "  precision  recall     f1  support  predicted\n";
  for (const auto& pl : m.per_label) {
    std::snprintf(buf, sizeof(buf), "  %9.4f  %6.4f  %.4f  %7lld  %9lld\n", pl.precision,
                  pl.recall, pl.f1, static_cast<long long>(pl.support),
                  static_cast<long long>(pl.predicted));
    out += pad(pl.label) + buf;
  }
  return out;
}

nlohmann::json multilabel_to_json(const MultiLabelMetrics& m) {
  nlohmann::json per = nlohmann::json::array();
  for (const auto& pl : m.per_label) {
    per.push_back({{"label", pl.label},
                   {"precision", pl.precision},
                   {"recall", pl.recall},
                   {"f1", pl.f1},
                   {"support", pl.support},
                   {"predicted", pl.predicted}});
  }
  return {{"n", m.n},
          {"multi_label", true},
          {"k", m.k},
          {"threshold", m.threshold},
          {"precision_at_k", m.precision_at_k},
          {"recall_at_k", m.recall_at_k},
          {"micro_precision", m.micro_precision},
          {"micro_recall", m.micro_recall},
          {"micro_f1", m.micro_f1},
          {"macro_precision", m.macro_precision},
          {"macro_recall", m.macro_recall},
          {"macro_f1", m.macro_f1},
          {"subset_accuracy", m.subset_accuracy},
          {"hamming_loss", m.hamming_loss},
          {"per_label", per}};
}

}  // namespace fenlei::eval
