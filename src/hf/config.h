// config.json of a Hugging Face encoder checkpoint (model_type bert or electra), validated field by
// field: every error names the file and the field, and sizes are bounded before anything is
// allocated from them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"

namespace fenlei::hf {

enum class Activation { kGeluErf, kGeluTanh, kRelu };

struct EncoderConfig {
  std::string model_type;    // "bert" | "electra"
  std::string architecture;  // architectures[0], e.g. "BertForSequenceClassification"; may be empty
  int vocab_size = 0;
  int hidden_size = 0;
  int embedding_size = 0;  // electra: may differ from hidden_size (then embeddings_project)
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 0;
  int pad_token_id = 0;
  float layer_norm_eps = 1e-12f;
  Activation hidden_act = Activation::kGeluErf;
  std::string hidden_act_name;
  std::vector<std::string> labels;  // id2label in id order; empty when the config has none
  // Training only (fine-tuning): dropout rates and the initialiser's standard deviation.
  float hidden_dropout_prob = 0.1f;
  float attention_probs_dropout_prob = 0.1f;
  float classifier_dropout = -1.0f;  // < 0: absent, the heads use hidden_dropout_prob
  float initializer_range = 0.02f;
};

StatusOr<EncoderConfig> parse_encoder_config(std::string_view json, const std::string& where);
StatusOr<EncoderConfig> read_encoder_config(const std::string& path);

}  // namespace fenlei::hf
