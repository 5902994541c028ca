// ModelBundle: everything a trained model is made of, in memory — architecture and weights,
// preprocessing settings, vocabulary, labels and metadata — and its conversion to and from the
// generic model file (format/). Training, testing, prediction, quantisation and fine-tuning all
// exchange models through this one type.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/preprocessor.h"
#include "fenlei/model_file.h"
#include "fenlei/status.h"
#include "fenlei/vocab.h"
#include "nn/network.h"
#include "quant/int8_model.h"

namespace fenlei::core {

struct ModelBundle {
  nn::Network network;              // config + float32 weights
  PreprocessConfig preprocess;      // includes the user dictionary text
  vocab::Vocabulary vocabulary;
  std::vector<std::string> labels;  // output order
  nlohmann::json training = nlohmann::json::object();  // data summary, options, per-epoch history
  nlohmann::json metrics = nlohmann::json::object();   // validation metrics of the saved weights
  nlohmann::json lineage = nlohmann::json::object();   // base model checksum etc. (fine-tuning)
  // Quantised models only (`fenlei quantize`): the int8 weights inference runs on. When set,
  // `network` is empty (no float weights exist) and config() comes from here.
  std::shared_ptr<const quant::Int8Model> int8;
  nlohmann::json quantization = nlohmann::json::object();  // scheme, sizes, accuracy before/after

  bool quantized() const { return int8 != nullptr; }
  const nn::ModelConfig& config() const { return int8 ? int8->config() : network.config(); }
};

// Builds the file representation (weights as f32 tensors, everything else in metadata).
format::ModelFile bundle_to_model_file(const ModelBundle& bundle);

// Validates and rebuilds a bundle: metadata keys, vocabulary, tensor names and shapes against
// the architecture. DATA_LOSS with a precise message on any inconsistency.
StatusOr<ModelBundle> bundle_from_model_file(const format::ModelFile& file,
                                             const std::string& name_for_errors);

// The file bytes save_bundle writes (int8 models get zlib-compressed tensor data).
StatusOr<std::string> serialize_bundle(const ModelBundle& bundle);
Status save_bundle(const std::string& path, const ModelBundle& bundle);
StatusOr<ModelBundle> load_bundle(const std::string& path);

// The metadata JSON object written into the file (also what `fenlei info` prints).
nlohmann::json bundle_metadata(const ModelBundle& bundle);

}  // namespace fenlei::core
