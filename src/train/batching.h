// Length-bucketed batching: batches hold texts of similar length so that ragged batches stay
// balanced across threads, while the batch order stays random. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <vector>

namespace fenlei::train {

// Shuffles 0..n-1 with `seed`, cuts the order into pools of `batch_size * pool_batches`
// examples, sorts each pool by length (stable), cuts pools into batches and shuffles the batch
// order. Every index appears in exactly one batch.
std::vector<std::vector<uint32_t>> make_length_bucketed_batches(
    const std::vector<uint32_t>& lengths, int batch_size, uint64_t seed, int pool_batches = 50);

}  // namespace fenlei::train
