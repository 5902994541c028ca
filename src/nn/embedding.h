// fastText-style input layer: the mean of a text's token embeddings and of its hashed token
// bigram embeddings, with a sparse backward pass.
#pragma once

#include <cstdint>

#include "nn/params.h"

namespace fenlei::nn {

// Bucket of the bigram (a, b): (a * 116049371 + b) mod buckets, in uint64 arithmetic (the
// multiplier is fastText's word-n-gram hash constant). Stable: it is part of the model format.
inline int32_t bigram_bucket(int32_t a, int32_t b, int64_t buckets) {
  const uint64_t h = uint64_t(uint32_t(a)) * 116049371ULL + uint64_t(uint32_t(b));
  return static_cast<int32_t>(h % uint64_t(buckets));
}

// Writes the len-1 bigram buckets of tokens into out (nothing when buckets == 0 or len < 2);
// returns how many.
int hash_bigrams(const int32_t* tokens, int len, int64_t buckets, int32_t* out);

// y[dim] = mean over the len token rows of `table` and nb bigram rows of `bigram_table`;
// zeros for an empty text.
void mean_embed_forward(const float* table, const float* bigram_table, int dim,
                        const int32_t* tokens, int len, const int32_t* bigrams, int nb, float* y);
// Adds dy / (len + nb) to every contributing row of grads[embed] and grads[bigram].
void mean_embed_backward(const float* dy, int dim, const int32_t* tokens, int len,
                         const int32_t* bigrams, int nb, int embed, int bigram, Grads& grads);

}  // namespace fenlei::nn
