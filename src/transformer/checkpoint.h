// A Hugging Face checkpoint directory as transformers saves it, read into an encoder and its
// tokenizer settings: config.json, model.safetensors (preferred) or pytorch_model.bin, and
// vocab.txt / tokenizer.json with tokenizer_config.json and special_tokens_map.json. Also the
// encoder's own representation inside a fenlei model file (config JSON + named tensors), which
// goes through the same validation when read back.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/model_file.h"
#include "fenlei/status.h"
#include "hf/tokenizer_files.h"
#include "transformer/encoder.h"

namespace fenlei::transformer {

struct Checkpoint {
  EncoderWeights encoder;
  hf::WordPieceSettings tokenizer;
  std::vector<std::string> labels;  // id2label, or LABEL_i when the config has none
  nlohmann::json source;            // {"directory", "weights", "architecture", "model_type"}
};

// Reads `dir`. A checkpoint without a classification head (a bare BertModel/ElectraModel) gives
// an encoder with HeadKind::kNone and no labels: it can be fine-tuned, not used to predict.
StatusOr<Checkpoint> read_checkpoint(const std::string& dir);

// config.json-shaped JSON of a config (what parse_encoder_config reads back).
nlohmann::json config_to_json(const hf::EncoderConfig& config);

// The encoder's tensors under their transformers names (query/key/value unfused again). A bf16
// encoder's dense weights are bf16 tensors (format v2), everything else f32 (int8: i8 + scales).
std::vector<format::Tensor> encoder_to_tensors(const EncoderWeights& w);
// A bf16 tensor's values as floats (exact). DATA_LOSS, naming `where` and the tensor, when its
// bytes do not match its shape.
StatusOr<std::vector<float>> widen_bf16_tensor(const format::Tensor& t, const std::string& where);
StatusOr<EncoderWeights> encoder_from_tensors(const nlohmann::json& config_json,
                                              const std::vector<format::Tensor>& tensors,
                                              const std::string& where);

}  // namespace fenlei::transformer
