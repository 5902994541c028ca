// Batch: a ragged minibatch of token-id sequences (no padding), with labels and example weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fenlei::nn {

// Example i owns ids[offsets[i], offsets[i+1]). Texts may be empty. Id 0 is the padding id:
// a cnn pads a text shorter than a conv width up to that width with id 0 (so an empty text sees
// one window of pad embeddings); real token ids should therefore start at 1.
// `weights` empty means weight 1 for every example; `labels` may be empty for inference.
// Multi-label models (ModelConfig::multi_label) train on label sets instead: example i's labels
// are label_sets[label_set_offsets[i], label_set_offsets[i+1]) (distinct, possibly none), and
// labels[i] holds the first of them (or 0) for code that reads one label.
// Knowledge distillation adds soft targets: when soft_targets is not empty, example i also
// learns the distribution soft_targets[i*C, (i+1)*C) (C = num_classes, the columns
// predict_proba writes) at temperature soft_temperature, weighted by soft_weights[i], on top of
// its hard-label loss weighted by weights[i] (0 for a text without a label).
struct Batch {
  std::vector<int32_t> ids;
  std::vector<int32_t> offsets{0};
  std::vector<int32_t> labels;
  std::vector<float> weights;
  std::vector<int32_t> label_sets;
  std::vector<int32_t> label_set_offsets{0};
  std::vector<float> soft_targets;
  std::vector<float> soft_weights;
  float soft_temperature = 1.0f;

  size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  int32_t length(size_t i) const { return offsets[i + 1] - offsets[i]; }
  void clear() {
    ids.clear();
    offsets.assign(1, 0);
    labels.clear();
    weights.clear();
    label_sets.clear();
    label_set_offsets.assign(1, 0);
    soft_targets.clear();
    soft_weights.clear();
  }
  bool has_soft_targets() const { return !soft_weights.empty(); }
  // Gives the example just added a soft target of `classes` probabilities.
  void add_soft_target(const float* target, size_t classes, float weight) {
    soft_targets.insert(soft_targets.end(), target, target + classes);
    soft_weights.push_back(weight);
  }
  bool has_label_sets() const { return label_set_offsets.size() > 1; }
  int32_t label_set_size(size_t i) const {
    return label_set_offsets[i + 1] - label_set_offsets[i];
  }
  const int32_t* label_set(size_t i) const { return label_sets.data() + label_set_offsets[i]; }
  // Appends one example of a multi-label batch.
  void add_with_label_set(const int32_t* tokens, size_t n, const int32_t* set, size_t set_size,
                          float weight = 1.0f) {
    add(tokens, n, set_size ? set[0] : 0, weight);
    label_sets.insert(label_sets.end(), set, set + set_size);
    label_set_offsets.push_back(static_cast<int32_t>(label_sets.size()));
  }
  // Appends one example (keeps capacity, so refilling a Batch does not allocate after warm-up).
  void add(const int32_t* tokens, size_t n, int32_t label = 0, float weight = 1.0f) {
    ids.insert(ids.end(), tokens, tokens + n);
    offsets.push_back(static_cast<int32_t>(ids.size()));
    labels.push_back(label);
    weights.push_back(weight);
  }
  void add(const std::vector<int32_t>& tokens, int32_t label = 0, float weight = 1.0f) {
    add(tokens.data(), tokens.size(), label, weight);
  }
};

}  // namespace fenlei::nn
