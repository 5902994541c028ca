// Classification metrics: accuracy, per-class precision/recall/F1, macro and weighted F1, and the
// confusion matrix, following scikit-learn's definitions (zero_division = 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fenlei::eval {

struct ClassMetrics {
  std::string label;
  double precision = 0.0;  // tp / (tp + fp); 0 if the class was never predicted
  double recall = 0.0;     // tp / (tp + fn); 0 if the class never occurs
  double f1 = 0.0;         // 2tp / (2tp + fp + fn); 0 if both are 0
  int64_t support = 0;     // true examples of the class
};

struct Metrics {
  int64_t n = 0;
  double loss = 0.0;  // mean cross-entropy, as passed in
  double accuracy = 0.0;
  // Mean F1 over the classes that occur in the truth or the predictions (scikit-learn's
  // f1_score(average="macro") without labels=): a class absent from both says nothing about the
  // model and would otherwise pull the mean down with a 0.
  double macro_f1 = 0.0;
  double weighted_f1 = 0.0;  // F1 weighted by support
  // Precision and recall averaged the same two ways (scikit-learn's classification_report rows
  // "macro avg" and "weighted avg").
  double macro_precision = 0.0, macro_recall = 0.0;
  double weighted_precision = 0.0, weighted_recall = 0.0;
  std::vector<ClassMetrics> per_class;        // one per label, in label-id order
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
};

// truth[i] and predicted[i] are label ids in [0, labels.size()). Pairs with an id out of range are
// a caller bug: they are skipped (and assert in debug builds). If the vectors differ in length,
// the shorter length is used.
Metrics compute_metrics(const std::vector<int>& truth, const std::vector<int>& predicted,
                        const std::vector<std::string>& labels, double mean_loss);

// Aligned plain-text report for people (CJK labels are measured in terminal columns):
//   n 2000  loss 0.3120  accuracy 0.9125  macro_f1 0.9118  weighted_f1 0.9124
// then, on request, a per-class table and the confusion matrix (rows = truth).
std::string format_metrics_text(const Metrics& metrics, bool per_class, bool confusion);

// Terminal columns a UTF-8 string occupies (East Asian wide/fullwidth characters count 2).
size_t display_width(const std::string& utf8);

}  // namespace fenlei::eval
