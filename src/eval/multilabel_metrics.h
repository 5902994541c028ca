// Metrics of a multi-label classifier (a text has any number of labels, the model scores each
// label on its own): precision and recall at k (fastText's `test` with -k), and at a probability
// threshold micro- and macro-averaged precision/recall/F1, subset accuracy and Hamming loss
// (scikit-learn's definitions, zero_division = 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fenlei::eval {

struct MultiLabelMetrics {
  int64_t n = 0;      // examples
  int k = 1;          // for precision_at_k / recall_at_k
  float threshold = 0.5f;
  // Over all examples: correct labels among the k best / k (fastText's P@k counts only the
  // labels it returned: min(k, labels) per example; so do we), and correct labels among the k
  // best / true labels.
  double precision_at_k = 0.0;
  double recall_at_k = 0.0;
  // Labels predicted = those with probability >= threshold.
  double micro_precision = 0.0, micro_recall = 0.0, micro_f1 = 0.0;
  double macro_precision = 0.0, macro_recall = 0.0, macro_f1 = 0.0;  // classes present in truth
                                                                     // or predictions
  double subset_accuracy = 0.0;  // predicted set == true set
  double hamming_loss = 0.0;     // wrong (example, label) decisions / (n * labels)
  struct PerLabel {
    std::string label;
    double precision = 0.0, recall = 0.0, f1 = 0.0;
    int64_t support = 0;  // examples having the label
    int64_t predicted = 0;
  };
  std::vector<PerLabel> per_label;  // in label-id order
};

// Accumulates examples one at a time: memory is O(labels), whatever the number of examples.
class MultiLabelAccumulator {
 public:
  MultiLabelAccumulator(std::vector<std::string> labels, int k, float threshold);
  // probabilities: one per label (independent); truth: the example's label ids (distinct).
  void add(const float* probabilities, const int32_t* truth, int n_truth);
  // Adds another accumulator's counts (same labels, k and threshold).
  void merge(const MultiLabelAccumulator& other);
  MultiLabelMetrics finish() const;

 private:
  std::vector<std::string> labels_;
  int k_;
  float threshold_;
  int64_t n_ = 0, exact_ = 0, wrong_decisions_ = 0;
  int64_t hits_at_k_ = 0, returned_at_k_ = 0, truth_total_ = 0;
  std::vector<int64_t> tp_, fp_, fn_;
  std::vector<int> order_;   // scratch
  std::vector<char> truth_;  // scratch: per label, in the current example's truth
};

// "n 2000  P@1 0.8123  R@1 0.4512  micro_f1 ...", then a per-label table on request.
std::string format_multilabel_text(const MultiLabelMetrics& m, bool per_label);
nlohmann::json multilabel_to_json(const MultiLabelMetrics& m);

}  // namespace fenlei::eval
