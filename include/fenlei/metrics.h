// Classification metrics: accuracy, per-class precision/recall/F1, macro and weighted F1, and the
// confusion matrix, following scikit-learn's definitions (zero_division = 0).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace fenlei::eval {

// Confusion counts [true label][predicted label] over k labels, stored sparsely: memory grows
// with k and with the distinct (true, predicted) pairs seen (at most the number of examples),
// never with k * k, so 100,000 labels cost megabytes, not gigabytes.
class ConfusionMatrix {
 public:
  struct Entry {
    int truth = 0;
    int predicted = 0;
    int64_t count = 0;
    bool operator==(const Entry& o) const {
      return truth == o.truth && predicted == o.predicted && count == o.count;
    }
  };

  ConfusionMatrix() = default;
  explicit ConfusionMatrix(size_t num_labels);

  size_t size() const { return row_totals_.size(); }  // k, the number of labels
  bool empty() const { return row_totals_.empty(); }
  // Ids must be in [0, size()); the caller checks.
  void add(int truth, int predicted, int64_t count = 1);
  int64_t at(size_t truth, size_t predicted) const;
  int64_t row_total(size_t truth) const { return row_totals_[truth]; }          // support
  int64_t column_total(size_t predicted) const { return column_totals_[predicted]; }
  int64_t diagonal(size_t label) const { return diagonal_[label]; }            // true positives
  // The non-zero cells, ordered by (truth, predicted).
  std::vector<Entry> entries() const;
  // The full k x k table. Only for small k (tests, printing): it is what the sparse form avoids.
  std::vector<std::vector<int64_t>> dense() const;

  bool operator==(const ConfusionMatrix& o) const { return entries() == o.entries(); }
  bool operator==(const std::vector<std::vector<int64_t>>& table) const { return dense() == table; }

 private:
  std::unordered_map<uint64_t, int64_t> cells_;  // truth * k + predicted -> count (non-zero)
  std::vector<int64_t> row_totals_, column_totals_, diagonal_;
};

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
  ConfusionMatrix confusion;             // [true][predicted], sparse
};

// truth[i] and predicted[i] are label ids in [0, labels.size()). Pairs with an id out of range are
// a caller bug: they are skipped (and assert in debug builds). If the vectors differ in length,
// the shorter length is used.
Metrics compute_metrics(const std::vector<int>& truth, const std::vector<int>& predicted,
                        const std::vector<std::string>& labels, double mean_loss);

// Aligned plain-text report for people (CJK labels are measured in terminal columns):
//   n 2000  loss 0.3120  accuracy 0.9125  macro_f1 0.9118  weighted_f1 0.9124
// then, on request, a per-class table and the confusion matrix (rows = truth). Beyond
// kMaxConfusionMatrixLabels labels a matrix is unreadable (and k * k lines long), so the report
// lists the kMaxConfusionPairs most frequent confusions instead (JSON has every non-zero cell).
constexpr size_t kMaxConfusionMatrixLabels = 40;
constexpr size_t kMaxConfusionPairs = 50;
std::string format_metrics_text(const Metrics& metrics, bool per_class, bool confusion);

// Terminal columns a UTF-8 string occupies (East Asian wide/fullwidth characters count 2).
size_t display_width(const std::string& utf8);

}  // namespace fenlei::eval
