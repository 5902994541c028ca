// Engine: the one inference interface every kind of model implements — the float network
// (cnn, fasttext), its int8 quantisation, and later transformer encoders. The kind is chosen
// once, when the model file is loaded (the file names it, see engine_registry.h); after that no
// caller asks which kind it holds: predict, test, serve, explain, quantize, evaluate and info
// all talk to this interface.
//
//   const core::Engine& engine = *model.engine;
//   core::Scratch& scratch = thread_scratch();          // per-thread, any engine
//   std::vector<float> probs(batch.size() * engine.num_classes());
//   engine.predict_proba(batch, scratch, probs.data());
//
// Input is a ragged nn::Batch of token ids (no padding), as a Tokenizer (tokenizer.h) produces
// them; an engine that needs special tokens or padding adds them itself.
//
// Thread-safety: an Engine is immutable once built (a lazily filled cache inside must be
// thread-safe itself); predict_proba may run on any number of threads, each with its own Scratch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/model_file.h"
#include "fenlei/status.h"
#include "nn/batch.h"

namespace fenlei::nn {
class Network;
}
namespace fenlei::quant {
struct QuantizeOptions;
}

namespace fenlei::core {

// Per-thread scratch for any engine: one slot per scratch type, created on first use and then
// reused (buffers only grow). An engine asks for the type it needs (`scratch.get<MyBuffers>()`),
// so one Scratch serves every model a thread runs (the server runs several). Not thread-safe.
class Scratch {
 public:
  // Threads one text may use (Classifier's LoadOptions::intra_op_threads), set by whoever owns
  // this scratch before each call; engines that cannot split a text ignore it.
  int intra_op_threads = 1;

  template <typename T>
  T& get() {
    const void* key = type_key<T>();
    for (auto& slot : slots_)
      if (slot.first == key) return *static_cast<T*>(slot.second.get());
    slots_.emplace_back(key, std::make_shared<T>());
    return *static_cast<T*>(slots_.back().second.get());
  }

 private:
  template <typename T>
  static const void* type_key() {
    static const char key = 0;
    return &key;
  }
  std::vector<std::pair<const void*, std::shared_ptr<void>>> slots_;
};

// What an engine contributes to a model file besides its architecture JSON: its weight tensors.
// Everything else (tokenizer, labels, training record) is the model's.
struct EngineFile {
  std::vector<format::Tensor> tensors;
  // Compress the tensor data (worth it for int8 tables, whose rarely trained rows stay near 0).
  bool compress_tensors = false;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // The registry key stored in the model file ("nn", "nn-int8", ...; engine_registry.h).
  virtual std::string kind() const = 0;
  // Short architecture name for people ("seed-cnn", "textcnn", "fasttext", "bert-base", ...).
  virtual std::string architecture_name() const = 0;
  virtual int num_classes() const = 0;
  // Rows of the input id space this engine accepts (ids in [0, vocab_size)); the loader checks
  // it against the tokenizer's vocabulary.
  virtual int64_t vocab_size() const = 0;
  // Integer (quantised) weights: shown by `fenlei info`, never used to choose a code path.
  virtual bool quantized() const = 0;
  // The number format the weights compute in: "float32", "int8" or "bf16" (ModelInfo::precision;
  // shown, never used to choose a code path). An engine with bf16 weights overrides it.
  virtual std::string precision() const { return quantized() ? "int8" : "float32"; }
  // One independent probability per class (a multi-label model: a text may have any number of
  // the labels), instead of one distribution over the classes.
  virtual bool multi_label() const { return false; }
  // Splits one text's forward pass over Scratch::intra_op_threads (transformer encoders); false:
  // one text runs on one thread whatever the option says. Callers that divide the cores between
  // texts and intra-op threads (`fenlei test`'s default --threads) ask this.
  virtual bool uses_intra_op_threads() const { return false; }
  virtual int64_t parameter_count() const = 0;

  // Class probabilities, row-major [batch.size(), num_classes()]. Ids must be valid for
  // vocab_size(); empty examples are allowed (the engine decides how to read them).
  virtual void predict_proba(const nn::Batch& batch, Scratch& scratch, float* out) const = 0;

  // Builds now any cache the engine would otherwise fill lazily during its first predictions,
  // so that later calls run at steady-state latency. Results are the same either way.
  virtual void warm_up() const {}

  // An int8 copy of this engine. FAILED_PRECONDITION when the engine cannot be quantised
  // (for instance because it already is), naming the reason.
  virtual StatusOr<std::unique_ptr<Engine>> quantize(
      const quant::QuantizeOptions& options) const = 0;

  // The float network whose weights training updates (fine-tuning, pruning, checkpoints), or
  // nullptr when this engine is not trainable by fenlei's trainer (int8, imported encoders).
  // Callers that need one say so in their error ("cannot fine-tune a <kind> model").
  virtual const nn::Network* trainable_network() const { return nullptr; }

  // The architecture, written as metadata "architecture" (what the engine's loader reads back).
  virtual nlohmann::json architecture_json() const = 0;
  // The weight tensors, written into the model file.
  virtual EngineFile to_file() const = 0;
};

}  // namespace fenlei::core
