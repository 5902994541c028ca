#include "hf/tokenizer_files.h"

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "base/file_util.h"
#include "text/utf8.h"

namespace fenlei::hf {
namespace {

using nlohmann::json;

constexpr size_t kMaxVocab = 1 << 22;

Status field_error(const std::string& where, const std::string& field, const std::string& what) {
  return invalid_argument_error(where + ": field '" + field + "' " + what);
}

StatusOr<json> parse_object(std::string_view text, const std::string& where) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument_error(where + ": not a JSON object");
  return j;
}

Status read_bool(const json& j, const std::string& where, const char* field, bool* out) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return Status();
  if (!it->is_boolean()) return field_error(where, field, "must be true or false");
  *out = it->get<bool>();
  return Status();
}

Status read_optional_bool(const json& j, const std::string& where, const char* field,
                          std::optional<bool>* out) {
  auto it = j.find(field);
  if (it == j.end()) return Status();
  if (it->is_null()) {
    out->reset();
    return Status();
  }
  if (!it->is_boolean()) return field_error(where, field, "must be true, false or null");
  *out = it->get<bool>();
  return Status();
}

// A special token is a string or an AddedToken object {"content": ...}.
Status read_token(const json& j, const std::string& where, const char* field, std::string* out) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return Status();
  if (it->is_string()) {
    *out = it->get<std::string>();
  } else if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    *out = (*it)["content"].get<std::string>();
  } else {
    return field_error(where, field, "must be a string or {\"content\": string}");
  }
  if (out->empty() || !utf8::is_valid(*out)) return field_error(where, field, "is not a token");
  return Status();
}

Status read_special_tokens(const json& j, const std::string& where, WordPieceSettings* s) {
  FENLEI_RETURN_IF_ERROR(read_token(j, where, "unk_token", &s->unk_token));
  FENLEI_RETURN_IF_ERROR(read_token(j, where, "cls_token", &s->cls_token));
  FENLEI_RETURN_IF_ERROR(read_token(j, where, "sep_token", &s->sep_token));
  FENLEI_RETURN_IF_ERROR(read_token(j, where, "pad_token", &s->pad_token));
  FENLEI_RETURN_IF_ERROR(read_token(j, where, "mask_token", &s->mask_token));
  return Status();
}

}  // namespace

StatusOr<std::vector<std::string>> parse_vocab_txt(std::string_view text, const std::string& where) {
  std::vector<std::string> vocab;
  std::unordered_set<std::string> seen;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string token(text.substr(pos, nl - pos));
    // BertTokenizer's load_vocab strips the trailing newline only (rstrip("\n")).
    const size_t line = vocab.size() + 1;
    if (!utf8::is_valid(token))
      return invalid_argument_error(where + ":" + std::to_string(line) + ": invalid UTF-8");
    if (vocab.size() >= kMaxVocab) return invalid_argument_error(where + ": more than 4M tokens");
    // transformers keeps the last id of a duplicate; fenlei refuses the ambiguity.
    if (!seen.insert(token).second)
      return invalid_argument_error(where + ":" + std::to_string(line) + ": duplicate token '" +
                                    token + "'");
    vocab.push_back(std::move(token));
    pos = nl + 1;
  }
  if (vocab.empty()) return invalid_argument_error(where + ": empty vocabulary");
  return vocab;
}

Status apply_tokenizer_config(std::string_view text, const std::string& where,
                              WordPieceSettings* s) {
  FENLEI_ASSIGN_OR_RETURN(json j, parse_object(text, where));
  FENLEI_RETURN_IF_ERROR(read_bool(j, where, "do_lower_case", &s->lowercase));
  FENLEI_RETURN_IF_ERROR(read_optional_bool(j, where, "strip_accents", &s->strip_accents));
  FENLEI_RETURN_IF_ERROR(
      read_bool(j, where, "tokenize_chinese_chars", &s->tokenize_chinese_chars));
  auto it = j.find("model_max_length");
  if (it != j.end() && !it->is_null()) {
    // transformers writes 1e30 ("very large") for "no limit": any number works, the model caps it.
    if (!it->is_number() || it->get<double>() < 2)
      return field_error(where, "model_max_length", "must be a number >= 2");
    const double v = it->get<double>();
    s->model_max_length = v > 1e9 ? int64_t{1} << 30 : static_cast<int64_t>(v);
  }
  auto cls = j.find("tokenizer_class");
  if (cls != j.end() && cls->is_string()) {
    const std::string name = cls->get<std::string>();
    if (name != "BertTokenizer" && name != "BertTokenizerFast" && name != "BertTokenizerLegacy" &&
        name != "ElectraTokenizer" &&
        name != "ElectraTokenizerFast" && name != "DistilBertTokenizer" &&
        name != "DistilBertTokenizerFast")
      return field_error(where, "tokenizer_class",
                         "is '" + name + "'; only WordPiece (Bert/Electra) tokenizers are supported");
  }
  bool basic = true;
  FENLEI_RETURN_IF_ERROR(read_bool(j, where, "do_basic_tokenize", &basic));
  if (!basic) return field_error(where, "do_basic_tokenize", "false is not supported");
  auto never = j.find("never_split");
  if (never != j.end() && !never->is_null() && !(never->is_array() && never->empty()))
    return field_error(where, "never_split", "is not supported (only special tokens stay whole)");
  return read_special_tokens(j, where, s);
}

Status apply_special_tokens_map(std::string_view text, const std::string& where,
                                WordPieceSettings* s) {
  FENLEI_ASSIGN_OR_RETURN(json j, parse_object(text, where));
  return read_special_tokens(j, where, s);
}

Status apply_tokenizer_json(std::string_view text, const std::string& where,
                            WordPieceSettings* s) {
  FENLEI_ASSIGN_OR_RETURN(json j, parse_object(text, where));
  auto model = j.find("model");
  if (model == j.end() || !model->is_object())
    return field_error(where, "model", "is missing");
  if (!model->contains("type") || (*model)["type"] != "WordPiece")
    return field_error(where, "model.type", "must be WordPiece");
  FENLEI_RETURN_IF_ERROR(read_token(*model, where, "unk_token", &s->unk_token));
  auto prefix = model->find("continuing_subword_prefix");
  if (prefix != model->end() && !prefix->is_null()) {
    if (!prefix->is_string()) return field_error(where, "model.continuing_subword_prefix", "must be a string");
    s->continuing_prefix = prefix->get<std::string>();
  }
  auto max_chars = model->find("max_input_chars_per_word");
  if (max_chars != model->end() && !max_chars->is_null()) {
    if (!max_chars->is_number_unsigned() || max_chars->get<uint64_t>() > 1000000)
      return field_error(where, "model.max_input_chars_per_word", "must be a small integer");
    s->max_input_chars_per_word = static_cast<int>(max_chars->get<uint64_t>());
  }
  auto vocab = model->find("vocab");
  if (vocab == model->end() || !vocab->is_object() || vocab->empty() || vocab->size() > kMaxVocab)
    return field_error(where, "model.vocab", "must be a non-empty {token: id} object");
  s->vocab.assign(vocab->size(), std::string());
  std::vector<bool> seen(vocab->size(), false);
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it.value().is_number_unsigned() || it.value().get<uint64_t>() >= s->vocab.size())
      return field_error(where, "model.vocab", "id of '" + it.key() + "' is not in 0..n-1");
    const size_t id = it.value().get<uint64_t>();
    if (seen[id]) return field_error(where, "model.vocab", "id " + std::to_string(id) + " twice");
    seen[id] = true;
    s->vocab[id] = it.key();
  }
  auto norm = j.find("normalizer");
  if (norm != j.end() && !norm->is_null()) {
    if (!norm->is_object() || !norm->contains("type") || (*norm)["type"] != "BertNormalizer")
      return field_error(where, "normalizer.type", "must be BertNormalizer");
    FENLEI_RETURN_IF_ERROR(read_bool(*norm, where, "lowercase", &s->lowercase));
    FENLEI_RETURN_IF_ERROR(read_bool(*norm, where, "clean_text", &s->clean_text));
    FENLEI_RETURN_IF_ERROR(
        read_bool(*norm, where, "handle_chinese_chars", &s->tokenize_chinese_chars));
    FENLEI_RETURN_IF_ERROR(read_optional_bool(*norm, where, "strip_accents", &s->strip_accents));
  }
  auto trunc = j.find("truncation");
  if (trunc != j.end() && trunc->is_object() && trunc->contains("max_length") &&
      (*trunc)["max_length"].is_number_unsigned())
    s->model_max_length = static_cast<int64_t>((*trunc)["max_length"].get<uint64_t>());
  return Status();
}

StatusOr<WordPieceSettings> read_tokenizer_files(const std::string& dir, int64_t max_positions) {
  WordPieceSettings s;
  const std::string vocab_path = dir + "/vocab.txt";
  const std::string fast_path = dir + "/tokenizer.json";
  if (file_exists(vocab_path)) {
    FENLEI_ASSIGN_OR_RETURN(std::string text, read_file(vocab_path));
    FENLEI_ASSIGN_OR_RETURN(s.vocab, parse_vocab_txt(text, vocab_path));
    s.source = "vocab.txt";
  } else if (file_exists(fast_path)) {
    FENLEI_ASSIGN_OR_RETURN(std::string text, read_file(fast_path));
    FENLEI_RETURN_IF_ERROR(apply_tokenizer_json(text, fast_path, &s));
    s.source = "tokenizer.json";
    s.nfc = false;
  } else {
    return not_found_error(dir + ": neither vocab.txt nor tokenizer.json");
  }
  for (const char* name : {"/special_tokens_map.json", "/tokenizer_config.json"}) {
    const std::string path = dir + name;
    if (!file_exists(path)) continue;
    FENLEI_ASSIGN_OR_RETURN(std::string text, read_file(path));
    if (std::string(name) == "/tokenizer_config.json") {
      FENLEI_RETURN_IF_ERROR(apply_tokenizer_config(text, path, &s));
    } else {
      FENLEI_RETURN_IF_ERROR(apply_special_tokens_map(text, path, &s));
    }
  }
  if (s.model_max_length > max_positions) s.model_max_length = max_positions;
  for (const std::string* tok : {&s.unk_token, &s.cls_token, &s.sep_token, &s.pad_token}) {
    bool found = false;
    for (const auto& v : s.vocab) found = found || v == *tok;
    if (!found)
      return invalid_argument_error(dir + ": special token '" + *tok +
                                    "' is not in the vocabulary (" + s.source + ")");
  }
  return s;
}

}  // namespace fenlei::hf
