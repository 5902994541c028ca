// Vocabulary: token <-> id mapping (id 0 = <pad>, 1 = <unk>), deterministic token counting,
// id encoding with truncation, and the hashed bigram buckets of a fastText-style model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fenlei/status.h"
#include "vocab/token_index.h"

namespace fenlei::vocab {

using TokenCounts = std::unordered_map<std::string, int64_t>;

class Vocabulary {
 public:
  static constexpr int32_t kPadId = 0;
  static constexpr int32_t kUnkId = 1;
  static constexpr const char* kPadToken = "<pad>";
  static constexpr const char* kUnkToken = "<unk>";

  // Only the two special tokens.
  Vocabulary();

  // Keeps tokens with count >= min_count, ordered by descending count, ties broken by token bytes
  // (so the result never depends on hash-map iteration order).
  // max_size counts the two special tokens, as Keras' num_words counts its reserved index:
  // max_size 10000 gives <pad>, <unk> and the 9998 most frequent tokens. max_size 0 = no limit;
  // 1 or 2 give only the specials. Empty tokens and tokens spelled "<pad>"/"<unk>" are skipped.
  static Vocabulary build(const TokenCounts& counts, size_t max_size, int64_t min_count);

  // Rebuilds a vocabulary from its tokens in id order (as stored in a model file). INVALID_ARGUMENT
  // unless tokens[0] == "<pad>", tokens[1] == "<unk>", and no token is empty or repeated.
  static StatusOr<Vocabulary> from_tokens(std::vector<std::string> tokens);

  // kUnkId for tokens not in the vocabulary. One hash lookup, no allocation.
  int32_t id(std::string_view token) const {
    const int32_t id = index_.find(token);
    return id == TokenIndex::kAbsent ? kUnkId : id;
  }
  bool contains(std::string_view token) const { return index_.find(token) != TokenIndex::kAbsent; }
  // id must be in [0, size()).
  const std::string& token(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  size_t size() const { return tokens_.size(); }
  const std::vector<std::string>& tokens() const { return tokens_; }

  // For fine-tuning: a copy with the tokens not already present appended (in the given order,
  // duplicates and empty tokens skipped), so every existing id keeps its meaning.
  Vocabulary extend(const std::vector<std::string>& new_tokens) const;

 private:
  void rebuild_index();
  void append_unchecked(std::string token);

  std::vector<std::string> tokens_;
  TokenIndex index_;  // owns a copy of the token bytes, so the defaulted copies and moves are safe
};

// Counts the tokens of n_docs documents. tokenize(i, &out) fills `out` with document i's tokens;
// it is called concurrently from num_threads threads (each on a contiguous shard of documents), so
// it must be thread-safe. Counts are summed, so the result is the same for any num_threads.
// num_threads <= 1 runs on the calling thread. An exception thrown by tokenize is rethrown here
// after all threads have joined.
TokenCounts count_tokens(size_t n_docs,
                         const std::function<void(size_t, std::vector<std::string>*)>& tokenize,
                         int num_threads);
// Convenience overload for already tokenised documents.
TokenCounts count_tokens(const std::vector<std::vector<std::string>>& docs, int num_threads = 1);

// Maps tokens to ids, keeping the FIRST max_len tokens (Keras truncating='post'; max_len 0 = no
// limit). Keras' pad_sequences defaults to 'pre' (keep the end), but for titles and reviews the
// opening words carry the topic, and fastText/TextCNN practice keeps the beginning. No padding:
// batches are ragged, and pooling makes the model length-independent.
std::vector<int32_t> encode(const Vocabulary& vocab, const std::vector<std::string>& tokens,
                            size_t max_len);
std::vector<int32_t> encode(const Vocabulary& vocab, const std::vector<std::string_view>& tokens,
                            size_t max_len);

// Hash bucket of the bigram (a, b) in [0, buckets): 64-bit FNV-1a over the 8 bytes of a then b,
// each as a little-endian uint32, reduced modulo buckets. The value is fixed forever (it indexes
// trained embedding rows stored in model files); bigram_test.cc pins golden values.
// buckets must be > 0 (0 returns 0).
uint32_t bigram_bucket(int32_t a, int32_t b, uint32_t buckets);

}  // namespace fenlei::vocab
