// Mean-of-embeddings layer (fasttext arch).
#include "nn/embedding.h"

#include <algorithm>

namespace fenlei::nn {

int hash_bigrams(const int32_t* tokens, int len, int64_t buckets, int32_t* out) {
  if (buckets <= 0 || len < 2) return 0;
  for (int t = 0; t + 1 < len; ++t) out[t] = bigram_bucket(tokens[t], tokens[t + 1], buckets);
  return len - 1;
}

void mean_embed_forward(const float* table, const float* bigram_table, int dim,
                        const int32_t* tokens, int len, const int32_t* bigrams, int nb, float* y) {
  for (int d = 0; d < dim; ++d) y[d] = 0.0f;
  const int n = len + nb;
  if (n == 0) return;
  for (int t = 0; t < len; ++t) {
    const float* __restrict row = table + size_t(tokens[t]) * dim;
    for (int d = 0; d < dim; ++d) y[d] += row[d];
  }
  // Bigram rows are scattered over a table of ~80 MB (200k buckets): each is a cache miss, so
  // the next rows are prefetched while this one is summed (kAhead rows ahead, every line).
  constexpr int kAhead = 4;
  const size_t row_bytes = sizeof(float) * size_t(dim);
  auto prefetch = [&](int t) {
    const char* p = reinterpret_cast<const char*>(bigram_table + size_t(bigrams[t]) * dim);
    for (size_t off = 0; off < row_bytes; off += 64) __builtin_prefetch(p + off);
  };
  for (int t = 0; t < std::min(kAhead, nb); ++t) prefetch(t);
  for (int t = 0; t < nb; ++t) {
    if (t + kAhead < nb) prefetch(t + kAhead);
    const float* __restrict row = bigram_table + size_t(bigrams[t]) * dim;
    for (int d = 0; d < dim; ++d) y[d] += row[d];
  }
  const float inv = 1.0f / n;
  for (int d = 0; d < dim; ++d) y[d] *= inv;
}

void mean_embed_backward(const float* dy, int dim, const int32_t* tokens, int len,
                         const int32_t* bigrams, int nb, int embed, int bigram, Grads& grads) {
  const int n = len + nb;
  if (n == 0) return;
  const float inv = 1.0f / n;
  for (int t = 0; t < len; ++t) {
    float* __restrict row = grads.touch_row(embed, tokens[t]);
    for (int d = 0; d < dim; ++d) row[d] += dy[d] * inv;
  }
  if (nb == 0) return;
  for (int t = 0; t < nb; ++t) {
    float* __restrict row = grads.touch_row(bigram, bigrams[t]);
    for (int d = 0; d < dim; ++d) row[d] += dy[d] * inv;
  }
}

}  // namespace fenlei::nn
