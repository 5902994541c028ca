// Classifier::explain: leave-one-out occlusion. The whole text and each of its copies with one
// token removed are classified as batches; a token's weight is how much the explained label's
// probability falls without it. Removal (rather than replacing the token with <unk> or <pad>)
// asks the question a reader asks — "what would the model say if this word were not there?" —
// and means the same for every architecture (windows of a cnn close up; fastText's mean and
// bigrams are recomputed).
#include <algorithm>

#include "base/string_util.h"
#include "core/classifier_impl.h"
#include "text/utf8.h"

namespace fenlei {
namespace {

// Texts of a model without max_len are explained over at most this many tokens: the cost is
// quadratic in the length (n + 1 copies of n tokens).
constexpr size_t kMaxExplainedTokens = 1024;
// Copies classified per model call, so a long text never builds a huge batch.
constexpr size_t kCopiesPerCall = 128;

}  // namespace

StatusOr<Explanation> Classifier::explain(std::string_view text,
                                          const ExplainOptions& options) const {
  const size_t bad = utf8::find_invalid(text);
  if (bad != std::string_view::npos)
    return invalid_argument_error("text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  const Impl& im = *impl_;
  const std::vector<std::string>& labels = im.info.labels;
  int label = -1;
  if (!options.label.empty()) {
    const auto it = std::find(labels.begin(), labels.end(), options.label);
    if (it == labels.end()) {
      return invalid_argument_error("unknown label '" + options.label +
                                    "'; the model's labels are: " + join(labels, ", "));
    }
    label = static_cast<int>(it - labels.begin());
  }

  Explanation e;
  std::vector<std::string> tokens;
  const core::Tokenizer& tokenizer = *im.model.tokenizer;
  tokenizer.tokenize(text, &tokens);
  const int max_len = tokenizer.max_len() - tokenizer.special_tokens();
  const size_t limit = max_len > 0 ? static_cast<size_t>(max_len) : kMaxExplainedTokens;
  if (tokens.size() > limit) {
    e.truncated = true;
    tokens.resize(limit);
  }
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  for (const std::string& t : tokens) ids.push_back(tokenizer.token_id(t));

  Workspace& ws = thread_workspace();
  const size_t classes = labels.size();
  std::vector<float> probs((tokens.size() + 1) * classes);
  nn::Batch batch;
  std::vector<int32_t> copy;
  // Example 0 is the whole text; example i + 1 leaves token i out.
  for (size_t first = 0; first <= tokens.size(); first += kCopiesPerCall) {
    const size_t last = std::min(tokens.size() + 1, first + kCopiesPerCall);
    batch.clear();
    for (size_t k = first; k < last; ++k) {
      copy = ids;
      if (k > 0) copy.erase(copy.begin() + static_cast<std::ptrdiff_t>(k - 1));
      tokenizer.wrap(&copy);
      batch.add(copy);
    }
    im.run(batch, ws, probs.data() + first * classes);
  }
  if (label < 0)
    label = static_cast<int>(std::max_element(probs.begin(), probs.begin() + classes) -
                             probs.begin());
  e.label = labels[static_cast<size_t>(label)];
  e.score = probs[static_cast<size_t>(label)];
  e.tokens.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    TokenAttribution a;
    a.token = std::move(tokens[i]);
    a.known = !tokenizer.is_unknown(ids[i]);
    a.weight = e.score - probs[(i + 1) * classes + static_cast<size_t>(label)];
    e.tokens.push_back(std::move(a));
  }
  return e;
}

}  // namespace fenlei
