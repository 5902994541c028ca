// The Engine implementations of fenlei's own networks (nn/): NetworkEngine runs the float32
// network (cnn presets through per-token conv projections, recurrent presets through per-token
// input gates, dpcnn through convs packed at load (core/dpcnn_packed_convs.h), fasttext through
// its mean of embeddings), Int8Engine runs the same network quantised (quant/int8_model.h).
// Registered as engine kinds "nn" and "nn-int8" (engine_registry.cc).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "engine/engine.h"
#include "engine/engine_registry.h"
#include "core/dpcnn_packed_convs.h"
#include "core/model_bundle.h"
#include "core/vocab_tokenizer.h"
#include "nn/network.h"
#include "nn/recurrent_token_projection.h"
#include "nn/token_projection.h"
#include "quant/int8_model.h"

namespace fenlei::core {


class NetworkEngine final : public Engine {
 public:
  explicit NetworkEngine(nn::Network network);
  // An engine over a network owned elsewhere whose weights may change between calls (the
  // trainer's validation passes): no projection cache. `network` must outlive the engine.
  static std::unique_ptr<NetworkEngine> borrow(const nn::Network& network);
  NetworkEngine(const NetworkEngine&) = delete;
  NetworkEngine& operator=(const NetworkEngine&) = delete;
  // Rebuilds the network from the file's architecture and f32 tensors, checking every shape.
  static StatusOr<std::unique_ptr<Engine>> load(const EngineSource& source);

  std::string kind() const override { return kNetworkEngineKind; }
  std::string architecture_name() const override { return net_->config().preset_name; }
  int num_classes() const override { return net_->num_classes(); }
  int64_t vocab_size() const override { return net_->config().vocab_size; }
  bool quantized() const override { return false; }
  bool multi_label() const override { return net_->config().multi_label(); }
  int64_t parameter_count() const override { return net_->params().total_elements(); }
  void predict_proba(const nn::Batch& batch, Scratch& scratch, float* out) const override;
  void warm_up() const override;
  StatusOr<std::unique_ptr<Engine>> quantize(
      const quant::QuantizeOptions& options) const override;
  // For a network whose weights are borrowed from a mapped file, an owned copy made on first
  // call (training, quantising and saving write or copy `data`; inference reads in place).
  const nn::Network* trainable_network() const override;
  nlohmann::json architecture_json() const override { return net_->config().to_json(); }
  EngineFile to_file() const override;

  const nn::Network& network() const { return *trainable_network(); }
  // True when the weights are used in place from a mapped model file (load through
  // format::map_model_file), not copied.
  bool borrows_weights() const { return backing_ != nullptr; }

 private:
  NetworkEngine() = default;
  nn::Network owned_;
  const nn::Network* net_ = &owned_;
  // The mapped model file that borrowed weights point into (null when they are owned), and the
  // owned copy trainable_network() makes of such a network.
  std::shared_ptr<const void> backing_;
  mutable std::once_flag owned_copy_once_;
  mutable std::unique_ptr<nn::Network> owned_copy_;
  // Per-token conv projections of a cnn (null otherwise): the fast inference path. Points into
  // *net_, so an engine is never copied or moved (it lives behind a pointer).
  std::unique_ptr<const nn::TokenProjection> projection_;
  // A recurrent preset's per-token input gates (null otherwise), likewise.
  std::unique_ptr<const nn::RecurrentTokenProjection> recurrent_projection_;
  // A dpcnn's convs on weights packed once (null otherwise); points into *net_ as projection_.
  std::unique_ptr<const DpcnnPackedConvs> dpcnn_packed_;
};

class Int8Engine final : public Engine {
 public:
  explicit Int8Engine(std::shared_ptr<const quant::Int8Model> model);
  static StatusOr<std::unique_ptr<Engine>> load(const EngineSource& source);

  std::string kind() const override { return kInt8EngineKind; }
  std::string architecture_name() const override { return model_->config().preset_name; }
  int num_classes() const override { return model_->config().num_classes; }
  int64_t vocab_size() const override { return model_->config().vocab_size; }
  bool quantized() const override { return true; }
  bool multi_label() const override { return model_->config().multi_label(); }
  int64_t parameter_count() const override { return model_->parameter_count(); }
  void predict_proba(const nn::Batch& batch, Scratch& scratch, float* out) const override;
  // Fills the most frequent tokens' int8 conv projections up front (quant::Int8Projection).
  void warm_up() const override { model_->warm_up(); }
  StatusOr<std::unique_ptr<Engine>> quantize(
      const quant::QuantizeOptions& options) const override;
  nlohmann::json architecture_json() const override { return model_->config().to_json(); }
  EngineFile to_file() const override;

  const quant::Int8Model& model() const { return *model_; }

 private:
  std::shared_ptr<const quant::Int8Model> model_;
};

// A model of fenlei's own kind: a float network read through the Preprocessor tokenizer.
// Errors: as VocabTokenizer::create (dictionary files for word tokenizers).
StatusOr<ModelBundle> make_network_model(nn::Network network, const PreprocessConfig& preprocess,
                                         vocab::Vocabulary vocabulary,
                                         std::vector<std::string> labels);

}  // namespace fenlei::core
