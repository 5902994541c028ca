// Rng: small deterministic random numbers for initialisation (a sequential splitmix64 stream)
// and for dropout (counter-based: a mask bit is a pure function of seed, step, example, layer).
#pragma once

#include <cstdint>

namespace fenlei::nn {

// splitmix64's finaliser: a bijective 64-bit mixer with good avalanche.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Why counter-based dropout: the mask for example i of a batch depends only on (seed, step, i,
// layer), never on which thread processes it, so training with 1 or N threads draws the same
// masks and N-thread results differ from 1-thread only by float summation order.
// The trainer calls set_step(global_step) on every thread's Rng before each batch.
// Not thread-safe; one per thread.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : seed_(seed), state_(seed) {}

  uint64_t seed() const { return seed_; }
  uint64_t step() const { return step_; }
  void set_step(uint64_t step) { step_ = step; }

  // Sequential stream (initialisation, shuffling).
  uint64_t next_u64() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  // Uniform in [0, 1) with 24 bits.
  float uniform() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

  // Key of the counter-based stream for (example index within the batch, layer).
  uint64_t dropout_key(uint64_t example, uint64_t layer) const {
    return mix64(mix64(mix64(seed_ ^ 0x5851f42d4c957f2dULL) + step_) + (example << 8) + layer);
  }

 private:
  uint64_t seed_;
  uint64_t state_;
  uint64_t step_ = 0;
};

}  // namespace fenlei::nn
