#include "core/network_engine.h"

#include <cstring>

namespace fenlei::core {
namespace {

bool host_is_little_endian() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

StatusOr<nn::ModelConfig> config_of(const EngineSource& s) {
  if (!s.metadata.contains("architecture"))
    return data_loss_error(s.name + ": metadata lacks the architecture");
  auto config = nn::ModelConfig::from_json(s.metadata["architecture"]);
  if (!config.ok()) return data_loss_error(s.name + ": architecture: " + config.status().message());
  return config;
}

}  // namespace

NetworkEngine::NetworkEngine(nn::Network network) : owned_(std::move(network)) {
  projection_ = nn::TokenProjection::create(owned_, nn::TokenProjection::kDefaultMaxBytes);
  recurrent_projection_ = nn::RecurrentTokenProjection::create(
      owned_, static_cast<int32_t>(owned_.config().vocab_size),
      nn::RecurrentTokenProjection::kDefaultMaxBytes);
  dpcnn_packed_ = DpcnnPackedConvs::create(owned_);
}

std::unique_ptr<NetworkEngine> NetworkEngine::borrow(const nn::Network& network) {
  std::unique_ptr<NetworkEngine> engine(new NetworkEngine());
  engine->net_ = &network;
  return engine;
}

StatusOr<std::unique_ptr<Engine>> NetworkEngine::load(const EngineSource& s) {
  FENLEI_ASSIGN_OR_RETURN(nn::ModelConfig config, config_of(s));
  auto corrupt = [&](const std::string& what) { return data_loss_error(s.name + ": " + what); };
  // Fill (or borrow) a network's tensors by name, checking every shape.
  auto net = nn::Network::allocate_empty(config);
  if (!net.ok()) return corrupt("architecture: " + net.status().message());
  // Weights of a mapped file are used in place where every inference read goes through
  // nn::Tensor::values(): the fasttext and cnn forward paths. Recurrent and dpcnn networks copy.
  const bool borrow = s.file.backing != nullptr && host_is_little_endian() &&
                      (config.arch == nn::Arch::kFastText || config.arch == nn::Arch::kCnn);
  bool borrowed_any = false;
  for (nn::Tensor& t : net->params()) {
    const format::Tensor* stored = s.file.find_tensor(t.name);
    if (stored == nullptr) return corrupt("missing weight tensor '" + t.name + "'");
    if (stored->shape != t.shape) return corrupt("tensor '" + t.name + "' has the wrong shape");
    const std::string_view bytes = stored->bytes();
    if (borrow && stored->dtype == format::DType::kF32 && !stored->borrowed.empty() &&
        bytes.size() == size_t(t.shape_numel()) * sizeof(float) &&
        reinterpret_cast<uintptr_t>(bytes.data()) % alignof(float) == 0) {
      t.borrowed = reinterpret_cast<const float*>(bytes.data());
      borrowed_any = true;
      continue;
    }
    auto values = format::tensor_to_f32(*stored);
    if (!values.ok()) return corrupt("tensor '" + t.name + "': " + values.status().message());
    t.data = std::move(*values);
  }
  std::unique_ptr<NetworkEngine> engine(new NetworkEngine(std::move(*net)));
  if (borrowed_any) engine->backing_ = s.file.backing;
  return std::unique_ptr<Engine>(std::move(engine));
}

const nn::Network* NetworkEngine::trainable_network() const {
  if (backing_ == nullptr) return net_;
  std::call_once(owned_copy_once_, [this] {
    owned_copy_ = std::make_unique<nn::Network>(*net_);
    for (nn::Tensor& t : owned_copy_->params()) t.take_ownership();
  });
  return owned_copy_.get();
}

void NetworkEngine::predict_proba(const nn::Batch& batch, Scratch& scratch, float* out) const {
  nn::predict_proba(*net_, batch, scratch.get<nn::Workspace>(), out, projection_.get(),
                    recurrent_projection_.get(), dpcnn_packed_ ? &dpcnn_packed_->ops() : nullptr);
}

void NetworkEngine::warm_up() const {
  if (recurrent_projection_ != nullptr) {
    nn::RecurrentCacheScratch scratch;
    recurrent_projection_->fill_frequent(nullptr, nullptr, scratch);
  }
  if (dpcnn_packed_ != nullptr) dpcnn_packed_->warm_up();
  if (projection_ == nullptr) return;
  nn::ProjectionScratch scratch;
  projection_->fill_frequent(scratch);
}

StatusOr<std::unique_ptr<Engine>> NetworkEngine::quantize(
    const quant::QuantizeOptions& options) const {
  FENLEI_ASSIGN_OR_RETURN(quant::Int8Model m,
                          quant::Int8Model::quantize(*trainable_network(), options));
  return std::unique_ptr<Engine>(
      new Int8Engine(std::make_shared<const quant::Int8Model>(std::move(m))));
}

EngineFile NetworkEngine::to_file() const {
  EngineFile f;
  for (const nn::Tensor& t : net_->params())
    f.tensors.push_back(format::make_f32_tensor(t.name, t.shape, t.values(), size_t(t.numel())));
  return f;
}

Int8Engine::Int8Engine(std::shared_ptr<const quant::Int8Model> model) : model_(std::move(model)) {}

StatusOr<std::unique_ptr<Engine>> Int8Engine::load(const EngineSource& s) {
  FENLEI_ASSIGN_OR_RETURN(nn::ModelConfig config, config_of(s));
  FENLEI_ASSIGN_OR_RETURN(quant::Int8Model m,
                          quant::Int8Model::from_tensors(config, s.file.tensors, s.name));
  return std::unique_ptr<Engine>(
      new Int8Engine(std::make_shared<const quant::Int8Model>(std::move(m))));
}

void Int8Engine::predict_proba(const nn::Batch& batch, Scratch& scratch, float* out) const {
  quant::predict_proba_int8(*model_, batch, scratch.get<quant::Int8Workspace>(), out);
}

StatusOr<std::unique_ptr<Engine>> Int8Engine::quantize(const quant::QuantizeOptions&) const {
  return failed_precondition_error(
      "the model is already int8; quantize the float model it came from");
}

EngineFile Int8Engine::to_file() const {
  EngineFile f;
  f.tensors = model_->to_tensors();
  // A trained int8 embedding table is low-entropy (rare words' rows stay near zero), which is
  // most of the size gain over 4x; float data is left raw.
  f.compress_tensors = true;
  return f;
}

StatusOr<ModelBundle> make_network_model(nn::Network network, const PreprocessConfig& preprocess,
                                         vocab::Vocabulary vocabulary,
                                         std::vector<std::string> labels) {
  ModelBundle m;
  FENLEI_ASSIGN_OR_RETURN(m.tokenizer, VocabTokenizer::create(preprocess, std::move(vocabulary)));
  m.engine = std::make_shared<const NetworkEngine>(std::move(network));
  m.labels = std::move(labels);
  return m;
}

}  // namespace fenlei::core
