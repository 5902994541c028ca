// Structured magnitude pruning of a float network: whole conv filters and hidden dense units are
// removed (smaller tensors, smaller GEMMs), and the next layer's input columns shrink with them.
#pragma once

#include <vector>

#include "fenlei/status.h"
#include "nn/network.h"

namespace fenlei::train {

// Which units survive, as ascending indices into the original layer.
struct PruneSelection {
  std::vector<std::vector<int>> conv;    // per conv layer (config().widths order): kept filters
  std::vector<std::vector<int>> hidden;  // per hidden dense layer: kept units
};

// Units kept out of n at `sparsity`: round(n * (1 - sparsity)), at least 1.
int kept_count(int n, double sparsity);

// True when the model has something pruning can remove: conv filters or hidden dense units
// (the output layer is never pruned: its units are the classes).
bool has_prunable_layers(const nn::ModelConfig& config);

// The `keep` rows of `weight` [rows, cols] whose L2 norm (bias included, so a zero-norm unit is
// exactly the constant 0 after ReLU/tanh/GELU) is largest, ascending; ties keep the lower index.
std::vector<int> strongest_units(const nn::Tensor& weight, const nn::Tensor& bias, int keep);

// Magnitude selection: in every conv layer, the kept_count(filters) filters with the largest
// norm (each width ranked separately; the same fraction of every width, so all widths keep the
// same filter count and the model config keeps one `filters` value); in every hidden layer the
// kept_count(units) largest units. FAILED_PRECONDITION when there is nothing to prune,
// INVALID_ARGUMENT for a sparsity outside (0, 1).
StatusOr<PruneSelection> select_by_magnitude(const nn::Network& net, double sparsity);

// The smaller network: kept conv filters and hidden units (rows of their weight and bias), the
// matching input columns of each following dense layer, everything else copied. Its outputs
// equal the original's whenever the removed units contribute nothing (e.g. all-zero weights and
// bias). INVALID_ARGUMENT for a selection that does not fit the network (wrong layer count,
// unsorted/out-of-range indices, empty layer, different filter counts across widths).
StatusOr<nn::Network> apply_pruning(const nn::Network& net, const PruneSelection& selection);

}  // namespace fenlei::train
