#include "transformer/trainable_encoder.h"

#include "format/model_file.h"
#include "transformer/checkpoint.h"

namespace fenlei::transformer {

bool is_transformer_model_file(const std::string& path) {
  auto file = format::read_model_file(path);
  if (!file.ok()) return false;
  const nlohmann::json meta = nlohmann::json::parse(file->metadata_json, nullptr, false);
  return meta.is_object() && meta.value("engine", "") == kEngineKind;
}

StatusOr<TrainableEncoder> load_trainable_encoder(const std::string& path) {
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file, format::read_model_file(path));
  const nlohmann::json meta = nlohmann::json::parse(file.metadata_json, nullptr, false);
  if (!meta.is_object()) return data_loss_error(path + ": metadata is not a JSON object");
  if (meta.value("engine", "") != kEngineKind)
    return failed_precondition_error(path + ": not a transformer model (engine '" +
                                     meta.value("engine", std::string("?")) + "')");
  if (!meta.contains("architecture") || !meta["architecture"].is_object() ||
      !meta["architecture"].contains("config"))
    return data_loss_error(path + ": metadata architecture lacks the encoder config");
  const nlohmann::json& arch = meta["architecture"];
  if (arch.value("int8", false))
    return failed_precondition_error(path + ": an int8 transformer cannot be fine-tuned; fine-tune "
                                            "its float original and quantize the result");
  TrainableEncoder t;
  FENLEI_ASSIGN_OR_RETURN(t.weights, encoder_from_tensors(arch["config"], file.tensors, path));
  const core::EngineSource source{file, meta, path};
  FENLEI_ASSIGN_OR_RETURN(std::unique_ptr<core::Tokenizer> tok,
                          WordPieceCoreTokenizer::load(source));
  t.tokenizer.reset(static_cast<WordPieceCoreTokenizer*>(tok.release()));
  t.labels = file.labels;
  if (static_cast<int>(t.labels.size()) != t.weights.num_labels())
    return data_loss_error(path + ": file has " + std::to_string(t.labels.size()) +
                           " labels but the encoder's head " +
                           std::to_string(t.weights.num_labels()));
  t.source = arch.contains("source") ? arch["source"] : nlohmann::json::object();
  if (meta.contains("lineage") && meta["lineage"].is_object()) t.lineage = meta["lineage"];
  return t;
}

}  // namespace fenlei::transformer
