#include "engine/engine_registry.h"

#include <map>
#include <mutex>

#include "quant/int8_model.h"

namespace fenlei::core {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, EngineLoader> engines;
  std::map<std::string, TokenizerLoader> tokenizers;
};

// Empty until the kinds are registered: this module knows only the interfaces. The model layer
// (core/builtin_kinds.h) registers every kind this build has before it loads a model, so the
// dependencies run one way: engine <- transformer, nn <- core.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

template <typename Loader>
StatusOr<Loader> find(const std::map<std::string, Loader>& loaders, const std::string& kind,
                      const std::string& what, const std::string& name) {
  const auto it = loaders.find(kind);
  if (it != loaders.end()) return it->second;
  std::string known;
  for (const auto& [k, unused] : loaders) known += (known.empty() ? "" : ", ") + k;
  return invalid_argument_error(name + ": this build of fenlei does not know the " + what +
                                " kind '" + kind + "' (it knows: " + known +
                                "); use a newer fenlei or one built with that engine");
}

}  // namespace

void register_engine(const std::string& kind, EngineLoader loader) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.engines[kind] = std::move(loader);
}

void register_tokenizer(const std::string& kind, TokenizerLoader loader) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.tokenizers[kind] = std::move(loader);
}

std::string engine_kind_of(const EngineSource& s) {
  if (s.metadata.contains("engine") && s.metadata["engine"].is_string())
    return s.metadata["engine"].get<std::string>();
  // Format-v1 files name no engine: int8 weight tensors mean the int8 network.
  return quant::has_int8_tensors(s.file) ? kInt8EngineKind : kNetworkEngineKind;
}

std::string tokenizer_kind_of(const EngineSource& s) {
  if (s.metadata.contains("tokenizer") && s.metadata["tokenizer"].is_string())
    return s.metadata["tokenizer"].get<std::string>();
  return kVocabTokenizerKind;
}

StatusOr<std::unique_ptr<Engine>> load_engine(const EngineSource& s) {
  Registry& r = registry();
  EngineLoader loader;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    FENLEI_ASSIGN_OR_RETURN(loader, find(r.engines, engine_kind_of(s), "engine", s.name));
  }
  return loader(s);
}

StatusOr<std::unique_ptr<Tokenizer>> load_tokenizer(const EngineSource& s) {
  Registry& r = registry();
  TokenizerLoader loader;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    FENLEI_ASSIGN_OR_RETURN(loader, find(r.tokenizers, tokenizer_kind_of(s), "tokenizer", s.name));
  }
  return loader(s);
}

}  // namespace fenlei::core
