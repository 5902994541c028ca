#include "core/vocab_tokenizer.h"

#include "format/model_file.h"

namespace fenlei::core {

VocabTokenizer::VocabTokenizer(std::shared_ptr<const Preprocessor> preprocessor,
                               vocab::Vocabulary vocabulary)
    : preprocessor_(std::move(preprocessor)), vocabulary_(std::move(vocabulary)) {}

StatusOr<std::unique_ptr<VocabTokenizer>> VocabTokenizer::create(
    const PreprocessConfig& config, vocab::Vocabulary vocabulary,
    const seg::SegmenterOptions& segmenter_options) {
  FENLEI_ASSIGN_OR_RETURN(auto preprocessor, Preprocessor::create(config, segmenter_options));
  return std::make_unique<VocabTokenizer>(std::move(preprocessor), std::move(vocabulary));
}

StatusOr<std::unique_ptr<Tokenizer>> VocabTokenizer::load(const EngineSource& s) {
  auto corrupt = [&](const std::string& what) { return data_loss_error(s.name + ": " + what); };
  if (!s.metadata.contains("preprocessing"))
    return corrupt("metadata lacks the preprocessing settings");
  auto config = preprocess_config_from_json(s.metadata["preprocessing"]);
  if (!config.ok()) return corrupt(config.status().message());
  config->user_dictionary = s.file.user_dictionary;
  auto vocabulary = vocab::Vocabulary::from_tokens(s.file.vocabulary);
  if (!vocabulary.ok()) return corrupt("vocabulary: " + vocabulary.status().message());
  auto tokenizer = create(*config, std::move(*vocabulary));
  if (!tokenizer.ok()) return tokenizer.status().with_context(s.name);
  return std::unique_ptr<Tokenizer>(std::move(*tokenizer));
}

std::string VocabTokenizer::description() const {
  return tokenizer_kind_name(preprocessor_->config().tokenizer);
}

void VocabTokenizer::encode(std::string_view text, std::vector<int32_t>* ids) const {
  preprocessor_->encode(text, vocabulary_, ids);
}

void VocabTokenizer::tokenize(std::string_view text, std::vector<std::string>* tokens) const {
  preprocessor_->tokenize(text, tokens);
}

nlohmann::json VocabTokenizer::settings_json() const {
  return preprocess_config_to_json(preprocessor_->config());
}

void VocabTokenizer::write_to(format::ModelFile* file) const {
  file->vocabulary = vocabulary_.tokens();
  file->user_dictionary = preprocessor_->config().user_dictionary;
}

const VocabTokenizer* trainable_tokenizer(const Tokenizer& tokenizer) {
  return dynamic_cast<const VocabTokenizer*>(&tokenizer);
}

}  // namespace fenlei::core
