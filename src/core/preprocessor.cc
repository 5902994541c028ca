#include "core/preprocessor.h"

#include <limits>

#include "text/normalize.h"
#include "text/utf8.h"

namespace fenlei::core {
namespace {

bool is_space_token(std::string_view token) {
  for (char c : token) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') return false;
  }
  return true;
}

}  // namespace

StatusOr<TokenizerKind> parse_tokenizer_kind(const std::string& name) {
  if (name == "word") return TokenizerKind::kWord;
  if (name == "char") return TokenizerKind::kChar;
  if (name == "word+char") return TokenizerKind::kWordChar;
  return invalid_argument_error("unknown tokenizer '" + name + "' (use word, char or word+char)");
}

const char* tokenizer_kind_name(TokenizerKind kind) {
  switch (kind) {
    case TokenizerKind::kWord: return "word";
    case TokenizerKind::kChar: return "char";
    case TokenizerKind::kWordChar: return "word+char";
  }
  return "word";
}

nlohmann::json preprocess_config_to_json(const PreprocessConfig& config) {
  nlohmann::json j;
  j["normalize"] = {{"fullwidth_to_halfwidth", config.normalize.fullwidth_to_halfwidth},
                    {"lowercase", config.normalize.lowercase},
                    {"collapse_whitespace", config.normalize.collapse_whitespace},
                    {"traditional_to_simplified", config.normalize.traditional_to_simplified}};
  j["tokenizer"] = tokenizer_kind_name(config.tokenizer);
  j["hmm"] = config.hmm;
  j["max_len"] = config.max_len;
  j["has_user_dictionary"] = !config.user_dictionary.empty();
  if (!config.dictionary_id.empty()) j["dictionary_id"] = config.dictionary_id;
  return j;
}

StatusOr<PreprocessConfig> preprocess_config_from_json(const nlohmann::json& j) {
  PreprocessConfig c;
  try {
    const auto& n = j.at("normalize");
    c.normalize.fullwidth_to_halfwidth = n.value("fullwidth_to_halfwidth", false);
    c.normalize.lowercase = n.value("lowercase", false);
    c.normalize.collapse_whitespace = n.value("collapse_whitespace", false);
    c.normalize.traditional_to_simplified = n.value("traditional_to_simplified", false);
    FENLEI_ASSIGN_OR_RETURN(c.tokenizer, parse_tokenizer_kind(j.at("tokenizer").get<std::string>()));
    c.hmm = j.value("hmm", true);
    // Checked as a JSON number before narrowing to int: 10^12 must not wrap to a negative.
    const nlohmann::json max_len = j.value("max_len", nlohmann::json(0));
    const bool whole = max_len.is_number_integer();
    if (!whole || (max_len.is_number_unsigned() &&
                   max_len.get<uint64_t>() > uint64_t{std::numeric_limits<int>::max()})) {
      return data_loss_error("preprocessing settings: max_len " + max_len.dump() +
                             (whole ? " is larger than the limit " +
                                          std::to_string(std::numeric_limits<int>::max())
                                    : std::string(" is not a whole number")));
    }
    if (max_len.get<int64_t>() < 0) {
      return data_loss_error("preprocessing settings: max_len " + max_len.dump() +
                             " is negative");
    }
    c.max_len = max_len.get<int>();
    c.dictionary_id = j.value("dictionary_id", std::string());
  } catch (const nlohmann::json::exception& e) {
    return data_loss_error(std::string("preprocessing settings are malformed: ") + e.what());
  }
  return c;
}

StatusOr<std::shared_ptr<const Preprocessor>> Preprocessor::create(
    const PreprocessConfig& config, const seg::SegmenterOptions& segmenter_options) {
  std::shared_ptr<Preprocessor> p(new Preprocessor());
  p->config_ = config;
  const auto& n = config.normalize;
  if (n.fullwidth_to_halfwidth || n.lowercase || n.collapse_whitespace ||
      n.traditional_to_simplified) {
    FENLEI_ASSIGN_OR_RETURN(auto normalizer, text::Normalizer::create(n));
    p->normalizer_ = std::make_unique<text::Normalizer>(std::move(normalizer));
  }
  if (config.tokenizer != TokenizerKind::kChar) {
    seg::SegmenterOptions options = segmenter_options;
    if (!config.user_dictionary.empty()) options.user_dict_texts.push_back(config.user_dictionary);
    FENLEI_ASSIGN_OR_RETURN(p->segmenter_, seg::Segmenter::load(options));
    const std::string id = p->segmenter_->dictionary_id();
    if (config.dictionary_id.empty()) {
      p->config_.dictionary_id = id;
    } else if (config.dictionary_id != id) {
      return failed_precondition_error(
          "the model segments words with jieba dictionary " + config.dictionary_id +
          ", but the dictionary here (" + p->segmenter_->dictionary_path() + ") is " + id +
          ": its words would be cut differently and predictions would silently change. Use the "
          "dictionary the model was trained with (set FENLEI_JIEBA_DIR, or install the same "
          "python3-jieba), or retrain the model with this one");
    }
  }
  return std::shared_ptr<const Preprocessor>(std::move(p));
}

template <typename Emit>
void Preprocessor::for_each_token(std::string_view raw, Emit&& emit) const {
  std::string normalized;
  std::string_view text = raw;
  if (normalizer_) {
    normalized = normalizer_->normalize(raw);
    text = normalized;
  }
  if (config_.tokenizer != TokenizerKind::kChar) {
    // thread_local: the segmenter's output buffer is reused across calls on the same thread.
    thread_local std::vector<std::string_view> words;
    segmenter_->cut(text, seg::CutMode::kDefault, config_.hmm, &words);
    for (std::string_view w : words) {
      if (!w.empty() && !is_space_token(w)) emit(w);
    }
  }
  if (config_.tokenizer != TokenizerKind::kWord) {
    // One token per non-space code point, as fastText's character baseline.
    size_t i = 0;
    while (i < text.size()) {
      char32_t cp = 0;
      size_t len = utf8::decode_one(text, i, &cp);
      if (len == 0) len = 1;  // invalid byte: its own token (callers validate first)
      if (!text::is_unicode_space(cp)) emit(text.substr(i, len));
      i += len;
    }
  }
}

void Preprocessor::tokenize(std::string_view text, std::vector<std::string>* tokens) const {
  tokens->clear();
  for_each_token(text, [&](std::string_view t) { tokens->emplace_back(t); });
}

void Preprocessor::encode(std::string_view text, const vocab::Vocabulary& vocabulary,
                          std::vector<int32_t>* ids) const {
  ids->clear();
  const size_t limit = config_.max_len > 0 ? static_cast<size_t>(config_.max_len) : SIZE_MAX;
  for_each_token(text, [&](std::string_view t) {
    if (ids->size() < limit) ids->push_back(vocabulary.id(t));
  });
}

}  // namespace fenlei::core
