#include "core/model_bundle.h"

#include <cmath>

#include "core/builtin_kinds.h"
#include "engine/engine_registry.h"
#include "base/file_util.h"
#include "fenlei/version.h"
#include "quant/int8_model.h"

namespace fenlei::core {

nlohmann::json bundle_metadata(const ModelBundle& b) {
  nlohmann::json meta;
  meta["kind"] = "fenlei-text-classifier";
  meta["created_by"] = "fenlei " FENLEI_VERSION_STRING;
  meta["engine"] = b.engine->kind();
  meta["tokenizer"] = b.tokenizer->kind();
  meta["architecture"] = b.engine->architecture_json();
  meta["preprocessing"] = b.tokenizer->settings_json();
  meta["training"] = b.training;
  meta["metrics"] = b.metrics;
  meta["lineage"] = b.lineage;
  if (!b.quantization.empty()) meta["quantization"] = b.quantization;
  return meta;
}

namespace {

format::ModelFile to_model_file(const ModelBundle& b, bool* compress_tensors) {
  format::ModelFile file;
  file.metadata_json = bundle_metadata(b).dump();
  b.tokenizer->write_to(&file);
  file.labels = b.labels;
  EngineFile engine_file = b.engine->to_file();
  file.tensors = std::move(engine_file.tensors);
  if (compress_tensors) *compress_tensors = engine_file.compress_tensors;
  return file;
}

}  // namespace

format::ModelFile bundle_to_model_file(const ModelBundle& b) { return to_model_file(b, nullptr); }

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
  const EngineSource source{file, meta, name};
  register_builtin_kinds();
  ModelBundle b;
  FENLEI_ASSIGN_OR_RETURN(b.engine, load_engine(source));
  FENLEI_ASSIGN_OR_RETURN(b.tokenizer, load_tokenizer(source));
  b.labels = file.labels;
  if (static_cast<int64_t>(b.tokenizer->vocab_size()) != b.engine->vocab_size()) {
    return corrupt("vocabulary has " + std::to_string(b.tokenizer->vocab_size()) +
                   " tokens but the architecture expects " +
                   std::to_string(b.engine->vocab_size()));
  }
  if (static_cast<int>(b.labels.size()) != b.engine->num_classes()) {
    return corrupt("file has " + std::to_string(b.labels.size()) +
                   " labels but the architecture expects " +
                   std::to_string(b.engine->num_classes()));
  }
  if (meta.contains("training") && meta["training"].is_object()) b.training = meta["training"];
  if (meta.contains("metrics") && meta["metrics"].is_object()) b.metrics = meta["metrics"];
  if (meta.contains("lineage") && meta["lineage"].is_object()) b.lineage = meta["lineage"];
  if (meta.contains("quantization") && meta["quantization"].is_object())
    b.quantization = meta["quantization"];
  return b;
}

StatusOr<std::string> serialize_bundle(const ModelBundle& bundle) {
  bool compress = false;
  format::ModelFile file = to_model_file(bundle, &compress);
  format::WriteOptions options;
  if (compress) options.tensor_data = format::Compression::kAuto;
  return format::serialize(file, options);
}

Status save_bundle(const std::string& path, const ModelBundle& bundle) {
  bool compress = false;
  const format::ModelFile file = to_model_file(bundle, &compress);
  format::WriteOptions options;
  if (compress) options.tensor_data = format::Compression::kAuto;
  // Streamed: the weights are not copied again into a whole-file buffer.
  return format::write_model_file(path, file, options);
}

StatusOr<ModelBundle> load_bundle(const std::string& path) {
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file, format::map_model_file(path));
  return bundle_from_model_file(file, path);
}

StatusOr<ModelBundle> quantize_bundle(const ModelBundle& f, const quant::QuantizeOptions& options) {
  FENLEI_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, f.engine->quantize(options));
  ModelBundle q = f;
  q.engine = std::move(engine);
  q.quantization = {
      {"scheme", "int8 symmetric (x = d*q, d = amax/127), dynamic per-row u8 activations"},
      {"weights", options.per_channel ? "per-channel" : "per-tensor"},
      {"embedding", options.embedding_per_row ? "per-row f16 scales" : "per-table scale"},
      {"parameters", q.engine->parameter_count()}};
  return q;
}

StatusOr<std::string> serialize_with_size(ModelBundle* b, uint64_t float_bytes) {
  uint64_t recorded = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    b->quantization["int8_bytes"] = recorded;
    if (float_bytes > 0) {
      b->quantization["float_bytes"] = float_bytes;
      const double ratio = recorded > 0 ? double(float_bytes) / double(recorded) : 0.0;
      b->quantization["compression_ratio"] = std::round(ratio * 1000.0) / 1000.0;
    }
    FENLEI_ASSIGN_OR_RETURN(std::string bytes, serialize_bundle(*b));
    if (bytes.size() == recorded) return bytes;
    recorded = bytes.size();
  }
  // Sizes oscillating across a digit boundary: keep the last bytes (off by a few bytes at most).
  return serialize_bundle(*b);
}

}  // namespace fenlei::core
