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
struct Batch {
  std::vector<int32_t> ids;
  std::vector<int32_t> offsets{0};
  std::vector<int32_t> labels;
  std::vector<float> weights;

  size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  int32_t length(size_t i) const { return offsets[i + 1] - offsets[i]; }
  void clear() {
    ids.clear();
    offsets.assign(1, 0);
    labels.clear();
    weights.clear();
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
