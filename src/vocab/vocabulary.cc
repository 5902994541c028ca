#include <algorithm>
#include <utility>

#include "vocab/vocab.h"

namespace fenlei::vocab {

Vocabulary::Vocabulary() {
  tokens_ = {kPadToken, kUnkToken};
  rebuild_index();
}

void Vocabulary::rebuild_index() {
  index_.clear();
  index_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i)
    index_.insert(tokens_[i], static_cast<int32_t>(i));
}

void Vocabulary::append_unchecked(std::string token) {
  index_.insert(token, static_cast<int32_t>(tokens_.size()));
  tokens_.push_back(std::move(token));
}

Vocabulary Vocabulary::build(const TokenCounts& counts, size_t max_size, int64_t min_count) {
  std::vector<std::pair<const std::string*, int64_t>> kept;
  kept.reserve(counts.size());
  for (const auto& [token, count] : counts) {
    if (count < min_count || count <= 0 || token.empty() || token == kPadToken ||
        token == kUnkToken)
      continue;
    kept.emplace_back(&token, count);
  }
  auto by_count_then_bytes = [](const auto& x, const auto& y) {
    if (x.second != y.second) return x.second > y.second;
    return *x.first < *y.first;
  };
  size_t n_words = kept.size();
  if (max_size > 0) n_words = std::min(n_words, max_size > 2 ? max_size - 2 : size_t{0});
  // Only the kept prefix needs ordering: partial_sort keeps large vocabularies cheap.
  std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(n_words), kept.end(),
                    by_count_then_bytes);
  Vocabulary v;
  v.tokens_.reserve(n_words + 2);
  for (size_t i = 0; i < n_words; ++i) v.tokens_.push_back(*kept[i].first);
  v.rebuild_index();
  return v;
}

StatusOr<Vocabulary> Vocabulary::from_tokens(std::vector<std::string> tokens) {
  if (tokens.size() < 2 || tokens[0] != kPadToken || tokens[1] != kUnkToken) {
    return invalid_argument_error(
        "vocabulary: the first two tokens must be <pad> and <unk> (got " +
        std::to_string(tokens.size()) + " tokens)");
  }
  Vocabulary v;
  v.tokens_ = std::move(tokens);
  v.index_.clear();
  v.index_.reserve(v.tokens_.size());
  for (size_t i = 0; i < v.tokens_.size(); ++i) {
    if (v.tokens_[i].empty())
      return invalid_argument_error("vocabulary: token " + std::to_string(i) + " is empty");
    const int32_t first = v.index_.insert(v.tokens_[i], static_cast<int32_t>(i));
    if (first != static_cast<int32_t>(i)) {
      return invalid_argument_error("vocabulary: token '" + v.tokens_[i] + "' appears twice (ids " +
                                    std::to_string(first) + " and " + std::to_string(i) + ")");
    }
  }
  return v;
}

Vocabulary Vocabulary::extend(const std::vector<std::string>& new_tokens) const {
  Vocabulary v(*this);
  v.tokens_.reserve(tokens_.size() + new_tokens.size());
  v.index_.reserve(tokens_.size() + new_tokens.size());
  for (const auto& t : new_tokens) {
    if (t.empty() || v.contains(t)) continue;
    v.append_unchecked(t);
  }
  return v;
}

}  // namespace fenlei::vocab
