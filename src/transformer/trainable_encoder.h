// A transformer model file opened for fine-tuning: its float encoder (with or without a head;
// a headless encoder is what `fenlei import` makes of a bare BertModel/ElectraModel), its
// WordPiece tokenizer, labels and provenance. The engine registry refuses headless encoders
// for inference; fine-tuning reads them here instead.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fenlei/status.h"
#include "transformer/encoder.h"
#include "transformer/encoder_engine.h"

namespace fenlei::transformer {

struct TrainableEncoder {
  EncoderWeights weights;
  std::unique_ptr<WordPieceCoreTokenizer> tokenizer;
  std::vector<std::string> labels;  // empty without a head
  nlohmann::json source;            // the architecture's "source" (where it was imported from)
  nlohmann::json lineage = nlohmann::json::object();
};

// True when the file's metadata names the transformer engine (a cheap check before loading).
bool is_transformer_model_file(const std::string& path);

// FAILED_PRECONDITION for an int8 model (fine-tune its float original) or a model that is not a
// transformer; the file's own errors otherwise.
StatusOr<TrainableEncoder> load_trainable_encoder(const std::string& path);

}  // namespace fenlei::transformer
