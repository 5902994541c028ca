// ModelBundle: a model — an inference Engine (engine.h), the Tokenizer that prepares its input
// (tokenizer.h), its labels and its record (training summary, metrics, lineage, quantisation) —
// and its conversion to and from the generic model file (format/). Training, testing,
// prediction, quantisation and fine-tuning all exchange models through this one type; which
// kind of engine it holds is decided once, when the file is read.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/tokenizer.h"
#include "format/model_file.h"
#include "fenlei/status.h"

namespace fenlei::quant {
struct QuantizeOptions;
}

namespace fenlei::core {

struct ModelBundle {
  std::shared_ptr<const Engine> engine;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::vector<std::string> labels;  // output order
  nlohmann::json training = nlohmann::json::object();  // data summary, options, per-epoch history
  nlohmann::json metrics = nlohmann::json::object();   // validation metrics of the saved weights
  nlohmann::json lineage = nlohmann::json::object();   // base model checksum etc. (fine-tuning)
  nlohmann::json quantization = nlohmann::json::object();  // scheme, sizes, accuracy before/after
};

// Builds the file representation (engine tensors, tokenizer data, everything else in metadata).
format::ModelFile bundle_to_model_file(const ModelBundle& bundle);

// Validates and rebuilds a model: metadata keys, then the engine and tokenizer the file names
// (engine_registry.h), then their agreement with each other and with the labels. DATA_LOSS with
// a precise message on any inconsistency.
StatusOr<ModelBundle> bundle_from_model_file(const format::ModelFile& file,
                                             const std::string& name_for_errors);

// The file bytes save_bundle writes.
StatusOr<std::string> serialize_bundle(const ModelBundle& bundle);
Status save_bundle(const std::string& path, const ModelBundle& bundle);
StatusOr<ModelBundle> load_bundle(const std::string& path);

// The metadata JSON object written into the file (also what `fenlei info` prints).
nlohmann::json bundle_metadata(const ModelBundle& bundle);

// The model with its engine quantised (Engine::quantize) and everything else kept; the scheme
// goes into `quantization`. FAILED_PRECONDITION when the engine cannot be quantised.
StatusOr<ModelBundle> quantize_bundle(const ModelBundle& model,
                                      const quant::QuantizeOptions& options);

// Serialises a quantised model after recording its own size in quantization["int8_bytes"] (and
// the ratio to `float_bytes`): iterates until the recorded size equals the real one.
StatusOr<std::string> serialize_with_size(ModelBundle* model, uint64_t float_bytes);

}  // namespace fenlei::core
