#include <algorithm>
#include <exception>
#include <thread>

#include "vocab/vocab.h"

namespace fenlei::vocab {

TokenCounts count_tokens(size_t n_docs,
                         const std::function<void(size_t, std::vector<std::string>*)>& tokenize,
                         int num_threads) {
  const size_t n_threads =
      std::max<size_t>(1, std::min<size_t>(num_threads < 1 ? 1 : size_t(num_threads), n_docs));
  std::vector<TokenCounts> shard_counts(n_threads);
  std::vector<std::exception_ptr> errors(n_threads);
  auto work = [&](size_t shard) {
    const size_t begin = n_docs * shard / n_threads, end = n_docs * (shard + 1) / n_threads;
    std::vector<std::string> tokens;
    try {
      for (size_t i = begin; i < end; ++i) {
        tokens.clear();
        tokenize(i, &tokens);
        for (auto& t : tokens) ++shard_counts[shard][std::move(t)];
      }
    } catch (...) {
      errors[shard] = std::current_exception();
    }
  };
  if (n_threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> threads;
    for (size_t s = 0; s < n_threads; ++s) threads.emplace_back(work, s);
    for (auto& t : threads) t.join();
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  // Merge in shard order into the largest map (sums commute, so the result is thread-independent).
  TokenCounts total = std::move(shard_counts[0]);
  for (size_t s = 1; s < n_threads; ++s)
    for (auto& [token, count] : shard_counts[s]) total[token] += count;
  return total;
}

TokenCounts count_tokens(const std::vector<std::vector<std::string>>& docs, int num_threads) {
  return count_tokens(
      docs.size(), [&docs](size_t i, std::vector<std::string>* out) { *out = docs[i]; },
      num_threads);
}

template <typename Tokens>
static std::vector<int32_t> encode_impl(const Vocabulary& vocab, const Tokens& tokens,
                                        size_t max_len) {
  size_t n = tokens.size();
  if (max_len > 0 && n > max_len) n = max_len;
  std::vector<int32_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = vocab.id(tokens[i]);
  return ids;
}

std::vector<int32_t> encode(const Vocabulary& vocab, const std::vector<std::string>& tokens,
                            size_t max_len) {
  return encode_impl(vocab, tokens, max_len);
}

std::vector<int32_t> encode(const Vocabulary& vocab, const std::vector<std::string_view>& tokens,
                            size_t max_len) {
  return encode_impl(vocab, tokens, max_len);
}

uint32_t bigram_bucket(int32_t a, int32_t b, uint32_t buckets) {
  if (buckets == 0) return 0;
  uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (const uint32_t v : {static_cast<uint32_t>(a), static_cast<uint32_t>(b)}) {
    for (int byte = 0; byte < 4; ++byte) {
      h ^= (v >> (8 * byte)) & 0xFFu;
      h *= 1099511628211ULL;  // FNV 64 prime
    }
  }
  return static_cast<uint32_t>(h % buckets);
}

}  // namespace fenlei::vocab
