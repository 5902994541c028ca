// Filter/unit selection by magnitude and the tensor surgery of pruning (see prune_network.h).
#include "train/prune_network.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fenlei::train {
namespace {

Status check_indices(const std::vector<int>& kept, int n, const std::string& layer) {
  if (kept.empty()) return invalid_argument_error("pruning would remove every unit of " + layer);
  for (size_t i = 0; i < kept.size(); ++i) {
    if (kept[i] < 0 || kept[i] >= n || (i > 0 && kept[i] <= kept[i - 1]))
      return invalid_argument_error("pruning selection for " + layer +
                                    " must be ascending indices in [0, " + std::to_string(n) +
                                    ")");
  }
  return Status();
}

// Copies rows `rows` (all when null) and columns `cols` (all when null) of `from` [r, c].
std::vector<float> gather(const nn::Tensor& from, const std::vector<int>* rows,
                          const std::vector<int>* cols) {
  const int64_t r = from.rows(), c = from.cols();
  std::vector<int> all_rows, all_cols;
  if (!rows) {
    all_rows.resize(size_t(r));
    std::iota(all_rows.begin(), all_rows.end(), 0);
    rows = &all_rows;
  }
  if (!cols) {
    all_cols.resize(size_t(c));
    std::iota(all_cols.begin(), all_cols.end(), 0);
    cols = &all_cols;
  }
  std::vector<float> out;
  out.reserve(rows->size() * cols->size());
  for (int i : *rows) {
    const float* row = from.data.data() + int64_t(i) * c;
    for (int j : *cols) out.push_back(row[j]);
  }
  return out;
}

}  // namespace

int kept_count(int n, double sparsity) {
  const long k = std::lround(double(n) * (1.0 - sparsity));
  return int(std::clamp<long>(k, 1, n));
}

bool has_prunable_layers(const nn::ModelConfig& config) {
  return (config.arch == nn::Arch::kCnn && !config.widths.empty()) || !config.hidden.empty();
}

std::vector<int> strongest_units(const nn::Tensor& weight, const nn::Tensor& bias, int keep) {
  const int64_t rows = weight.rows(), cols = weight.cols();
  std::vector<double> norm(static_cast<size_t>(rows), 0.0);
  for (int64_t i = 0; i < rows; ++i) {
    double s = double(bias.data[size_t(i)]) * bias.data[size_t(i)];
    const float* w = weight.data.data() + i * cols;
    for (int64_t j = 0; j < cols; ++j) s += double(w[j]) * w[j];
    norm[size_t(i)] = s;
  }
  std::vector<int> order(static_cast<size_t>(rows));
  std::iota(order.begin(), order.end(), 0);
  // Stable: equal norms keep the lower index, so the choice is deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return norm[size_t(a)] > norm[size_t(b)]; });
  order.resize(size_t(std::clamp<int64_t>(keep, 0, rows)));
  std::sort(order.begin(), order.end());
  return order;
}

StatusOr<PruneSelection> select_by_magnitude(const nn::Network& net, double sparsity) {
  if (!(sparsity > 0.0 && sparsity < 1.0))
    return invalid_argument_error("sparsity must be in (0, 1), e.g. 0.5 removes half the filters");
  const nn::ModelConfig& c = net.config();
  if (!has_prunable_layers(c))
    return failed_precondition_error(
        "nothing to prune: the model has no convolution filters and no hidden dense layers "
        "(e.g. the fasttext preset); its size is the embedding table — use `fenlei quantize`");
  const nn::Params& p = net.params();
  PruneSelection s;
  for (const auto& ci : net.conv_layers())
    s.conv.push_back(strongest_units(p[ci.weight], p[ci.bias], kept_count(c.filters, sparsity)));
  for (size_t l = 0; l < c.hidden.size(); ++l) {
    const auto& di = net.dense_layers()[l];
    s.hidden.push_back(strongest_units(p[di.weight], p[di.bias], kept_count(di.out, sparsity)));
  }
  return s;
}

StatusOr<nn::Network> apply_pruning(const nn::Network& net, const PruneSelection& sel) {
  const nn::ModelConfig& c = net.config();
  if (sel.conv.size() != net.conv_layers().size() || sel.hidden.size() != c.hidden.size())
    return invalid_argument_error("pruning selection does not match the network's layers");
  nn::ModelConfig pruned = c;
  const nn::Params& p = net.params();
  nn::Params out;
  auto put = [&out](const nn::Tensor& t, std::vector<int64_t> shape, std::vector<float> data) {
    const int i = out.add(t.name, std::move(shape));
    out[i].data = std::move(data);
  };
  for (const nn::Tensor& t : p) {  // tables: unchanged
    if (t.name == "embed/weight" || t.name == "bigram/weight") put(t, t.shape, t.data);
  }
  for (int i : nn::recurrent_tensor_indices(net.recurrent())) put(p[i], p[i].shape, p[i].data);

  // Conv filters, and the feature columns they feed (width blocks of `filters` each).
  std::vector<int> feature_cols;
  if (c.arch == nn::Arch::kCnn) {
    const int kept = sel.conv.empty() ? c.filters : int(sel.conv[0].size());
    for (size_t wi = 0; wi < sel.conv.size(); ++wi) {
      const auto& ci = net.conv_layers()[wi];
      const std::string layer = "conv" + std::to_string(ci.width);
      FENLEI_RETURN_IF_ERROR(check_indices(sel.conv[wi], c.filters, layer));
      if (int(sel.conv[wi].size()) != kept)
        return invalid_argument_error("pruning must keep the same number of filters in every "
                                      "conv width (the model config has one `filters` value)");
      const nn::Tensor& w = p[ci.weight];
      put(w, {kept, w.cols()}, gather(w, &sel.conv[wi], nullptr));
      put(p[ci.bias], {kept}, gather(p[ci.bias], &sel.conv[wi], nullptr));
      for (int f : sel.conv[wi]) feature_cols.push_back(int(wi) * c.filters + f);
    }
    pruned.filters = kept;
  } else {
    feature_cols.resize(size_t(c.feature_dim()));
    std::iota(feature_cols.begin(), feature_cols.end(), 0);
  }

  // Dense layers: kept rows of hidden layers, kept columns of every layer's input.
  const std::vector<int>* in_cols = &feature_cols;
  for (size_t l = 0; l < net.dense_layers().size(); ++l) {
    const auto& di = net.dense_layers()[l];
    const bool hidden = l < c.hidden.size();
    const nn::Tensor& w = p[di.weight];
    const std::vector<int>* rows = nullptr;
    int64_t out_units = di.out;
    if (hidden) {
      FENLEI_RETURN_IF_ERROR(check_indices(sel.hidden[l], di.out, w.name));
      rows = &sel.hidden[l];
      out_units = int64_t(rows->size());
      pruned.hidden[l] = int(out_units);
    }
    put(w, {out_units, int64_t(in_cols->size())}, gather(w, rows, in_cols));
    put(p[di.bias], {out_units}, gather(p[di.bias], rows, nullptr));
    if (hidden) in_cols = rows;
  }
  return nn::Network::from_params(pruned, out);
}

}  // namespace fenlei::train
