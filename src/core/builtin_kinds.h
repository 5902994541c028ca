// Registers every engine and tokenizer kind this build of fenlei has with the registries in
// src/engine/: the float and int8 networks, the jieba/character tokenizer, and the transformer
// encoders with their WordPiece tokenizer. The model loader calls it before reading a model
// (so static linking never drops a kind); calling it again does nothing.
#pragma once

namespace fenlei::core {

void register_builtin_kinds();

}  // namespace fenlei::core
