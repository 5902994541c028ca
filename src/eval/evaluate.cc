#include "eval/evaluate.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

namespace fenlei::eval {
namespace {

// Per batch: its loss sum and top-k counts, added in batch order afterwards.
struct BatchSums {
  double loss = 0;
  int64_t predicted_labels = 0;  // top-k labels predicted
  int64_t hits = 0;              // of which right
};

void top_k_counts(const float* row, int classes, int label, const EvaluateOptions& o,
                  std::vector<int>& order, BatchSums* sums) {
  const int k = std::min(o.k, classes);
  order.resize(static_cast<size_t>(classes));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return row[a] > row[b] || (row[a] == row[b] && a < b);
  });
  for (int i = 0; i < k; ++i) {
    const int c = order[static_cast<size_t>(i)];
    if (row[c] < o.threshold) break;
    ++sums->predicted_labels;
    sums->hits += c == label;
  }
}

}  // namespace

double binary_cross_entropy_sum(const float* probs, size_t n, int classes,
                                const data::LabelSets& sets, size_t first) {
  double sum = 0;
  std::vector<char> truth(static_cast<size_t>(classes));
  for (size_t i = 0; i < n; ++i) {
    const size_t ex = first + i;
    for (int32_t k = sets.offsets[ex]; k < sets.offsets[ex + 1]; ++k) truth[size_t(sets.sets[size_t(k)])] = 1;
    const float* row = probs + i * static_cast<size_t>(classes);
    for (int c = 0; c < classes; ++c) {
      const double p = std::clamp(static_cast<double>(row[c]), 1e-7, 1.0 - 1e-7);
      sum -= std::log(truth[size_t(c)] ? p : 1.0 - p);
    }
    for (int32_t k = sets.offsets[ex]; k < sets.offsets[ex + 1]; ++k) truth[size_t(sets.sets[size_t(k)])] = 0;
  }
  return sum;
}

double cross_entropy_sum(const float* probs, size_t n, int classes, const int* labels) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const float p = probs[i * static_cast<size_t>(classes) + static_cast<size_t>(labels[i])];
    sum -= std::log(std::clamp(static_cast<double>(p), 1e-7, 1.0 - 1e-7));
  }
  return sum;
}

Evaluation evaluate(const core::Engine& engine, size_t n, const FillBatch& fill,
                    const std::vector<int>& truth, const std::vector<std::string>& labels,
                    ThreadPool& pool, const EvaluateOptions& options) {
  Evaluation r;
  r.k = options.k;
  const int c = engine.num_classes();
  r.predicted.assign(n, 0);
  const size_t n_batches = (n + kBatchSize - 1) / kBatchSize;
  std::vector<BatchSums> sums(n_batches);
  const data::LabelSets* sets = engine.multi_label() ? options.label_sets : nullptr;
  data::LabelSets singletons;  // a multi-label model scored on one label per example
  if (engine.multi_label() && sets == nullptr) {
    for (int y : truth) {
      singletons.sets.push_back(y);
      singletons.offsets.push_back(static_cast<int32_t>(singletons.sets.size()));
    }
    sets = &singletons;
  }
  // Multi-label counts, one accumulator per task (integer counts: merging is order-free).
  std::vector<MultiLabelAccumulator> multi;
  const int tasks = static_cast<int>(std::min<size_t>(n_batches, size_t(pool.size())));
  if (sets != nullptr)
    multi.assign(size_t(std::max(tasks, 1)),
                 MultiLabelAccumulator(labels, std::max(1, options.k), options.multi_label_threshold));
  if (tasks > 0) {
    pool.run(tasks, [&](int t) {
      core::Scratch scratch;
      scratch.intra_op_threads = options.intra_op_threads;
      nn::Batch batch;
      std::vector<float> probs;
      std::vector<int> order;
      for (size_t b = static_cast<size_t>(t); b < n_batches; b += static_cast<size_t>(tasks)) {
        const size_t begin = b * kBatchSize, end = std::min(n, begin + kBatchSize);
        probs.resize((end - begin) * static_cast<size_t>(c));
        // The engine sees kPredictSlice examples at a time: a cnn without per-token projections
        // (training's validation) builds an im2col matrix as large as its call (256 texts x 128
        // tokens x 5 x 128 floats = 84 MB per thread for textcnn). Sums stay per kBatchSize.
        for (size_t lo = begin; lo < end; lo += kPredictSlice) {
          const size_t hi = std::min(end, lo + kPredictSlice);
          batch.clear();
          fill(lo, hi, &batch);
          engine.predict_proba(batch, scratch, probs.data() + (lo - begin) * static_cast<size_t>(c));
        }
        if (sets != nullptr) {
          sums[b].loss = binary_cross_entropy_sum(probs.data(), end - begin, c, *sets, begin);
          for (size_t i = begin; i < end; ++i) {
            const float* row = probs.data() + (i - begin) * static_cast<size_t>(c);
            r.predicted[i] = static_cast<int>(std::max_element(row, row + c) - row);
            multi[size_t(t)].add(row, sets->sets.data() + sets->offsets[i],
                                 sets->offsets[i + 1] - sets->offsets[i]);
          }
          continue;
        }
        sums[b].loss = cross_entropy_sum(probs.data(), end - begin, c, truth.data() + begin);
        for (size_t i = begin; i < end; ++i) {
          const float* row = probs.data() + (i - begin) * static_cast<size_t>(c);
          r.predicted[i] = static_cast<int>(std::max_element(row, row + c) - row);
          if (options.k > 0) top_k_counts(row, c, truth[i], options, order, &sums[b]);
        }
      }
    });
  }
  BatchSums total;
  for (const BatchSums& s : sums) {
    total.loss += s.loss;
    total.predicted_labels += s.predicted_labels;
    total.hits += s.hits;
  }
  const double mean_loss = n > 0 ? total.loss / static_cast<double>(n) : 0.0;
  if (sets != nullptr) {
    for (size_t t = 1; t < multi.size(); ++t) multi[0].merge(multi[t]);
    r.multi_label = multi[0].finish();
    r.metrics.n = static_cast<int64_t>(n);
    r.metrics.loss = mean_loss;
    r.metrics.accuracy = r.multi_label->subset_accuracy;
    r.metrics.macro_f1 = r.multi_label->macro_f1;
    r.precision_at_k = r.multi_label->precision_at_k;
    r.recall_at_k = r.multi_label->recall_at_k;
    return r;
  }
  r.metrics = compute_metrics(truth, r.predicted, labels, mean_loss);
  if (options.k > 0) {
    if (total.predicted_labels > 0)
      r.precision_at_k = double(total.hits) / double(total.predicted_labels);
    if (n > 0) r.recall_at_k = double(total.hits) / double(n);
  }
  return r;
}

StatusOr<Evaluation> evaluate_texts(const core::ModelBundle& model,
                                    const std::vector<std::string>& texts,
                                    const std::vector<int>& truth, int threads,
                                    const EvaluateOptions& options) {
  if (texts.size() != truth.size())
    return invalid_argument_error("evaluate: " + std::to_string(texts.size()) + " texts but " +
                                  std::to_string(truth.size()) + " labels");
  ThreadPool pool(threads > 0 ? threads : ThreadPool::hardware_threads());
  const core::Tokenizer& tokenizer = *model.tokenizer;
  auto fill = [&](size_t begin, size_t end, nn::Batch* batch) {
    thread_local std::vector<int32_t> ids;
    for (size_t i = begin; i < end; ++i) {
      tokenizer.encode(texts[i], &ids);
      batch->add(ids);
    }
  };
  return evaluate(*model.engine, texts.size(), fill, truth, model.labels, pool, options);
}

}  // namespace fenlei::eval
