// Engine and tokenizer registries: the model file names its engine kind (metadata "engine") and
// tokenizer kind (metadata "tokenizer"), and loading builds them through the loader registered
// under that name. This module knows only the interfaces; the model layer registers every kind
// the build has (core/builtin_kinds.h: fenlei's networks, int8, transformer encoders) before it
// loads a model, and a program may add its own:
//
//   core::register_engine("my-engine", [](const core::EngineSource& s) { return load_mine(s); });
//
// Files written before these keys existed (format v1) have neither: they are read as "nn" or
// "nn-int8" (an int8 weight tensor decides) with the "preprocessor" tokenizer.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/tokenizer.h"
#include "format/model_file.h"
#include "fenlei/status.h"

namespace fenlei::core {

// The kinds format-v1 files are read as (they name none).
inline constexpr const char* kNetworkEngineKind = "nn";
inline constexpr const char* kInt8EngineKind = "nn-int8";
inline constexpr const char* kVocabTokenizerKind = "preprocessor";

// What a loader reads from: the parsed file, its metadata, and a name for error messages.
struct EngineSource {
  const format::ModelFile& file;
  const nlohmann::json& metadata;  // the whole metadata object ("architecture" etc.)
  const std::string& name;         // usually the path
};

using EngineLoader = std::function<StatusOr<std::unique_ptr<Engine>>(const EngineSource&)>;
using TokenizerLoader = std::function<StatusOr<std::unique_ptr<Tokenizer>>(const EngineSource&)>;

// Registers (or replaces) the loader for `kind`. Thread-safe.
void register_engine(const std::string& kind, EngineLoader loader);
void register_tokenizer(const std::string& kind, TokenizerLoader loader);

// Builds the engine / tokenizer the file names. INVALID_ARGUMENT for a kind this build does not
// know (naming it and the known kinds); loader errors otherwise.
StatusOr<std::unique_ptr<Engine>> load_engine(const EngineSource& source);
StatusOr<std::unique_ptr<Tokenizer>> load_tokenizer(const EngineSource& source);

// The kinds the file names (with the v1 defaults above).
std::string engine_kind_of(const EngineSource& source);
std::string tokenizer_kind_of(const EngineSource& source);

}  // namespace fenlei::core
