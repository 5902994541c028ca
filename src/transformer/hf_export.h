// A fenlei transformer model written back as a Hugging Face checkpoint directory that
// transformers loads with AutoModelForSequenceClassification + AutoTokenizer and that
// `fenlei import` reads back to the same weights: config.json, model.safetensors (F32, the
// tensor names transformers saves), vocab.txt, tokenizer_config.json and
// special_tokens_map.json. Only the file contents are made here; hf/output_directory.h writes
// them atomically.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/tokenizer.h"
#include "fenlei/status.h"
#include "hf/tokenizer_files.h"
#include "transformer/encoder.h"

namespace fenlei::transformer {

struct HfExport {
  std::map<std::string, std::string> files;  // file name -> bytes
  // What the files cannot express exactly (tokenizer settings transformers' BertTokenizer has
  // no field for); the weights and the settings it has are always exact.
  std::vector<std::string> warnings;
};

// The checkpoint files of a float encoder with a classification head. Refuses an int8 encoder:
// fenlei's int8 also quantises activations at run time, which no float checkpoint reproduces,
// so a dequantised export would silently give other probabilities than the model it came from.
StatusOr<HfExport> export_hf_files(const EncoderWeights& w, const hf::WordPieceSettings& tokenizer,
                                   const std::vector<std::string>& labels);

// The same for a loaded model; only a transformer engine with its WordPiece tokenizer exports.
StatusOr<HfExport> export_hf_files(const core::Engine& engine, const core::Tokenizer& tokenizer,
                                   const std::vector<std::string>& labels);

// config.json as transformers writes it for BertForSequenceClassification /
// ElectraForSequenceClassification (sorted keys, id2label and label2id).
nlohmann::json hf_config_json(const hf::EncoderConfig& config, const std::vector<std::string>& labels);

}  // namespace fenlei::transformer
