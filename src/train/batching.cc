#include "train/batching.h"

#include <algorithm>
#include <numeric>

#include "data/dataset.h"

namespace fenlei::train {

std::vector<std::vector<uint32_t>> make_length_bucketed_batches(
    const std::vector<uint32_t>& lengths, int batch_size, uint64_t seed, int pool_batches) {
  const size_t n = lengths.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(seed);
  data::shuffle(order, rng);
  const size_t bs = static_cast<size_t>(std::max(1, batch_size));
  const size_t pool = bs * static_cast<size_t>(std::max(1, pool_batches));
  std::vector<std::vector<uint32_t>> batches;
  batches.reserve(n / bs + 1);
  for (size_t start = 0; start < n; start += pool) {
    const size_t end = std::min(n, start + pool);
    std::stable_sort(order.begin() + static_cast<long>(start), order.begin() + static_cast<long>(end),
                     [&](uint32_t a, uint32_t b) { return lengths[a] < lengths[b]; });
    for (size_t b = start; b < end; b += bs) {
      batches.emplace_back(order.begin() + static_cast<long>(b),
                           order.begin() + static_cast<long>(std::min(end, b + bs)));
    }
  }
  data::shuffle(batches, rng);
  return batches;
}

}  // namespace fenlei::train
