#include "core/builtin_kinds.h"

#include <mutex>

#include "core/network_engine.h"
#include "core/vocab_tokenizer.h"
#include "engine/engine_registry.h"
#include "transformer/encoder_engine.h"

namespace fenlei::core {

void register_builtin_kinds() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_engine(kNetworkEngineKind, &NetworkEngine::load);
    register_engine(kInt8EngineKind, &Int8Engine::load);
    register_tokenizer(kVocabTokenizerKind, &VocabTokenizer::load);
    register_engine(transformer::kEngineKind, &transformer::EncoderEngine::load);
    register_tokenizer(transformer::kTokenizerKind, &transformer::WordPieceCoreTokenizer::load);
  });
}

}  // namespace fenlei::core
