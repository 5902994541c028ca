// evaluate: the one evaluation of a model on labelled data (model + dataset -> metrics), used by
// `fenlei test`, the trainer's validation, prune, quantize and fine-tuning alike.
//
//   FENLEI_ASSIGN_OR_RETURN(eval::Evaluation e,
//                           eval::evaluate_texts(model, texts, truth, /*threads=*/2));
//   std::cout << e.metrics.accuracy;
//
// Work is split into batches of kBatchSize examples; threads take batches t, t + T, ..., and the
// per-batch sums are added in batch order, so the result does not depend on the thread count.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "engine/engine.h"
#include "core/model_bundle.h"
#include "eval/multilabel_metrics.h"
#include "data/dataset.h"
#include "fenlei/metrics.h"
#include "fenlei/status.h"
#include "nn/batch.h"

namespace fenlei::eval {

// Examples per engine call (the size `fenlei predict` classifies at a time).
inline constexpr size_t kBatchSize = 256;
// Examples per engine call inside a batch (bounds the engines' scratch memory).
inline constexpr size_t kPredictSlice = 32;

struct Evaluation {
  // Single-label models: loss is the mean cross-entropy (clipped at 1e-7, as Keras).
  // Multi-label models: loss is the mean over examples of the summed per-label binary
  // cross-entropy (the training objective), accuracy the subset accuracy (the predicted label
  // set equals the true one; scikit-learn's accuracy_score on multi-label data), macro_f1 that
  // of `multi_label`; per-class rows and the confusion matrix are left empty.
  Metrics metrics;
  std::vector<int> predicted;  // arg-max label id per example
  // Top-k precision and recall as fastText's `test` reports them (filled when k > 0): of the
  // labels predicted (the k best with probability >= threshold), the fraction that are right,
  // and of the examples, the fraction whose label is among them.
  int k = 0;
  double precision_at_k = 0.0;
  double recall_at_k = 0.0;
  // Multi-label models only (engine.multi_label()).
  std::optional<MultiLabelMetrics> multi_label;
};

struct EvaluateOptions {
  int k = 0;               // 0: no top-k precision/recall
  float threshold = 0.0f;  // with k: labels below this probability are not predicted
  // Multi-label models: each example's true label set (ignored otherwise; without it, each
  // example's one label in `truth`), and the probability from which a label counts as
  // predicted.
  const data::LabelSets* label_sets = nullptr;
  float multi_label_threshold = 0.5f;
  // Threads per text (LoadOptions::intra_op_threads: transformer models only), on top of the
  // threads that split the examples.
  int intra_op_threads = 1;
};

// Fills *batch with the encoded examples [begin, end) (ids only; labels come from `truth`).
using FillBatch = std::function<void(size_t begin, size_t end, nn::Batch* batch)>;

// The evaluation loop: n examples produced by `fill`, truth[i] their label ids in `labels`.
Evaluation evaluate(const core::Engine& engine, size_t n, const FillBatch& fill,
                    const std::vector<int>& truth, const std::vector<std::string>& labels,
                    ThreadPool& pool, const EvaluateOptions& options = {});

// Texts through the model's tokenizer, then evaluate(). `threads` 0 = all cores.
// INVALID_ARGUMENT if truth and texts differ in length.
StatusOr<Evaluation> evaluate_texts(const core::ModelBundle& model,
                                    const std::vector<std::string>& texts,
                                    const std::vector<int>& truth, int threads,
                                    const EvaluateOptions& options = {});

// Multi-label loss numerator: the sum over rows of -sum_c log(p_c or 1 - p_c), clipped at 1e-7.
double binary_cross_entropy_sum(const float* probabilities, size_t n, int classes,
                                const data::LabelSets& sets, size_t first);

// Mean cross-entropy numerator: the sum over rows of -log p[label] (clipped at 1e-7).
double cross_entropy_sum(const float* probabilities, size_t n, int classes, const int* labels);

}  // namespace fenlei::eval
