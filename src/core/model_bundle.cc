#include "core/model_bundle.h"

#include "fenlei/file_util.h"
#include "fenlei/version.h"

namespace fenlei::core {

nlohmann::json bundle_metadata(const ModelBundle& b) {
  nlohmann::json meta;
  meta["kind"] = "fenlei-text-classifier";
  meta["created_by"] = "fenlei " FENLEI_VERSION_STRING;
  meta["architecture"] = b.config().to_json();
  meta["preprocessing"] = preprocess_config_to_json(b.preprocess);
  meta["training"] = b.training;
  meta["metrics"] = b.metrics;
  meta["lineage"] = b.lineage;
  if (!b.quantization.empty()) meta["quantization"] = b.quantization;
  return meta;
}

format::ModelFile bundle_to_model_file(const ModelBundle& b) {
  format::ModelFile file;
  file.metadata_json = bundle_metadata(b).dump();
  file.vocabulary = b.vocabulary.tokens();
  file.labels = b.labels;
  file.user_dictionary = b.preprocess.user_dictionary;
  if (b.int8) {
    file.tensors = b.int8->to_tensors();
    return file;
  }
  for (const nn::Tensor& t : b.network.params()) {
    file.tensors.push_back(format::make_f32_tensor(t.name, t.shape, t.data));
  }
  return file;
}

StatusOr<ModelBundle> bundle_from_model_file(const format::ModelFile& file,
                                             const std::string& name) {
  auto corrupt = [&](const std::string& what) { return data_loss_error(name + ": " + what); };
  nlohmann::json meta = nlohmann::json::parse(file.metadata_json, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) return corrupt("metadata is not a JSON object");
  if (meta.value("kind", "") != "fenlei-text-classifier") {
    return invalid_argument_error(name + ": not a fenlei text classifier (metadata kind '" +
                                  meta.value("kind", std::string("?")) + "')");
  }
  if (!meta.contains("architecture") || !meta.contains("preprocessing")) {
    return corrupt("metadata lacks architecture or preprocessing settings");
  }
  ModelBundle b;
  auto config = nn::ModelConfig::from_json(meta["architecture"]);
  if (!config.ok()) return corrupt("architecture: " + config.status().message());
  auto preprocess = preprocess_config_from_json(meta["preprocessing"]);
  if (!preprocess.ok()) return corrupt(preprocess.status().message());
  b.preprocess = std::move(*preprocess);
  b.preprocess.user_dictionary = file.user_dictionary;
  auto vocabulary = vocab::Vocabulary::from_tokens(file.vocabulary);
  if (!vocabulary.ok()) return corrupt("vocabulary: " + vocabulary.status().message());
  b.vocabulary = std::move(*vocabulary);
  b.labels = file.labels;
  if (static_cast<int64_t>(b.vocabulary.size()) != config->vocab_size) {
    return corrupt("vocabulary has " + std::to_string(b.vocabulary.size()) +
                   " tokens but the architecture expects " + std::to_string(config->vocab_size));
  }
  if (static_cast<int>(b.labels.size()) != config->num_classes) {
    return corrupt("file has " + std::to_string(b.labels.size()) +
                   " labels but the architecture expects " + std::to_string(config->num_classes));
  }
  if (meta.contains("training") && meta["training"].is_object()) b.training = meta["training"];
  if (meta.contains("metrics") && meta["metrics"].is_object()) b.metrics = meta["metrics"];
  if (meta.contains("lineage") && meta["lineage"].is_object()) b.lineage = meta["lineage"];
  if (quant::has_int8_tensors(file)) {
    // An int8 model (fenlei quantize): no float network; the int8 engine checks its tensors.
    auto int8 = quant::Int8Model::from_tensors(*config, file.tensors, name);
    if (!int8.ok()) return int8.status();
    b.int8 = std::make_shared<const quant::Int8Model>(std::move(*int8));
    if (meta.contains("quantization") && meta["quantization"].is_object())
      b.quantization = meta["quantization"];
    return b;
  }
  // Fill a freshly built network's tensors by name, checking every shape.
  auto net = nn::Network::allocate(*config);
  if (!net.ok()) return corrupt("architecture: " + net.status().message());
  for (nn::Tensor& t : net->params()) {
    const format::Tensor* stored = file.find_tensor(t.name);
    if (stored == nullptr) return corrupt("missing weight tensor '" + t.name + "'");
    if (stored->shape != t.shape) return corrupt("tensor '" + t.name + "' has the wrong shape");
    auto values = format::tensor_to_f32(*stored);
    if (!values.ok()) return corrupt("tensor '" + t.name + "': " + values.status().message());
    t.data = std::move(*values);
  }
  b.network = std::move(*net);
  return b;
}

StatusOr<std::string> serialize_bundle(const ModelBundle& bundle) {
  format::WriteOptions options;
  // int8 tensor data is compressed: a trained int8 embedding table is low-entropy (rare words'
  // rows stay near zero), which is most of the size gain over 4x; float data is left raw.
  if (bundle.quantized()) options.tensor_data = format::Compression::kAuto;
  return format::serialize(bundle_to_model_file(bundle), options);
}

Status save_bundle(const std::string& path, const ModelBundle& bundle) {
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, serialize_bundle(bundle));
  return write_file_atomic(path, bytes);
}

StatusOr<ModelBundle> load_bundle(const std::string& path) {
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file, format::read_model_file(path));
  return bundle_from_model_file(file, path);
}

}  // namespace fenlei::core
