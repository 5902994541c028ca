// Dataset helpers: label ids, trainability check, validation split, shuffling, length statistics.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>

#include "data/dataset.h"

namespace fenlei::data {

Status check_trainable(const Dataset& dataset) {
  if (dataset.examples.empty()) return invalid_argument_error("the dataset has no examples");
  const std::string& first = dataset.examples.front().label;
  for (const auto& e : dataset.examples)
    if (e.label != first) return Status();
  return invalid_argument_error(
      "all " + std::to_string(dataset.examples.size()) + " examples have the label '" + first +
      "'; a classifier needs at least two classes (is --label-column the right column?)");
}

bool is_multi_label(const Dataset& dataset) {
  for (const auto& e : dataset.examples)
    if (!e.more_labels.empty()) return true;
  return false;
}

StatusOr<LabelSets> label_sets(const Dataset& dataset, const std::vector<std::string>& labels,
                               const std::string& name_for_errors) {
  std::unordered_map<std::string_view, int> index;
  for (size_t i = 0; i < labels.size(); ++i) index.emplace(labels[i], static_cast<int>(i));
  LabelSets out;
  out.offsets.reserve(dataset.examples.size() + 1);
  for (size_t i = 0; i < dataset.examples.size(); ++i) {
    const Example& e = dataset.examples[i];
    for (size_t k = 0; k <= e.more_labels.size(); ++k) {
      const std::string& label = k == 0 ? e.label : e.more_labels[k - 1];
      const auto it = index.find(label);
      if (it == index.end()) {
        return invalid_argument_error(name_for_errors + ": example " + std::to_string(i + 1) +
                                      " has label '" + label + "', which the model does not know (" +
                                      std::to_string(labels.size()) + " labels)");
      }
      out.sets.push_back(it->second);
    }
    out.offsets.push_back(static_cast<int32_t>(out.sets.size()));
  }
  return out;
}

std::vector<std::string> sorted_labels(const Dataset& dataset) {
  std::vector<std::string> labels;
  for (const auto& e : dataset.examples) {
    labels.push_back(e.label);
    labels.insert(labels.end(), e.more_labels.begin(), e.more_labels.end());
  }
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  return labels;
}

StatusOr<std::vector<int>> label_ids(const Dataset& dataset, const std::vector<std::string>& labels,
                                     const std::string& name_for_errors) {
  std::unordered_map<std::string_view, int> index;
  for (size_t i = 0; i < labels.size(); ++i) index.emplace(labels[i], static_cast<int>(i));
  std::vector<int> ids;
  ids.reserve(dataset.examples.size());
  for (size_t i = 0; i < dataset.examples.size(); ++i) {
    const auto it = index.find(dataset.examples[i].label);
    if (it == index.end()) {
      return invalid_argument_error(name_for_errors + ": example " + std::to_string(i + 1) +
                                    " has label '" + dataset.examples[i].label +
                                    "', which the model does not know (" +
                                    std::to_string(labels.size()) + " labels)");
    }
    ids.push_back(it->second);
  }
  return ids;
}

StatusOr<TrainValidationSplit> split_validation(Dataset all, double validation_fraction) {
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0)) {
    return invalid_argument_error("validation fraction must be in [0, 1), got " +
                                  std::to_string(validation_fraction));
  }
  const size_t n = all.examples.size();
  // Keras: split_at = int(num_samples * (1. - validation_split)).
  const size_t split_at =
      static_cast<size_t>(std::floor(static_cast<double>(n) * (1.0 - validation_fraction)));
  if (split_at == 0) {
    return invalid_argument_error("validation fraction " + std::to_string(validation_fraction) +
                                  " leaves no training examples out of " + std::to_string(n));
  }
  TrainValidationSplit split;
  split.validation.examples.assign(std::make_move_iterator(all.examples.begin() + split_at),
                                   std::make_move_iterator(all.examples.end()));
  all.examples.resize(split_at);
  split.train = std::move(all);
  return split;
}

uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  if (bound <= 1) return 0;
  // Reject the lowest (2^64 mod bound) values so every residue is equally likely.
  const uint64_t threshold = (0 - bound) % bound;
  while (true) {
    const uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

std::vector<size_t> shuffled_indices(size_t n, uint64_t seed) {
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::mt19937_64 rng(seed);
  shuffle(idx, rng);
  return idx;
}

size_t percentile_sorted(const std::vector<size_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  q = std::clamp(q, 0.0, 100.0);
  // Nearest rank: ceil(q/100 * n), at least 1.
  size_t rank = static_cast<size_t>(std::ceil(q / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

LengthStats length_stats(std::vector<size_t> lengths) {
  LengthStats s;
  s.count = lengths.size();
  if (lengths.empty()) return s;
  std::sort(lengths.begin(), lengths.end());
  s.min = lengths.front();
  s.max = lengths.back();
  double sum = 0;
  for (size_t l : lengths) sum += static_cast<double>(l);
  s.mean = sum / static_cast<double>(lengths.size());
  s.p50 = percentile_sorted(lengths, 50);
  s.p90 = percentile_sorted(lengths, 90);
  s.p95 = percentile_sorted(lengths, 95);
  s.p99 = percentile_sorted(lengths, 99);
  return s;
}

}  // namespace fenlei::data
