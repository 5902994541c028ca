#include "transformer/checkpoint.h"

#include <cstring>

#include "fenlei/file_util.h"
#include "hf/config.h"
#include "hf/safetensors.h"
#include "hf/torch_bin.h"

namespace fenlei::transformer {
namespace {

const char* activation_name(const hf::EncoderConfig& c) { return c.hidden_act_name.c_str(); }

void add_linear(std::vector<format::Tensor>* out, const std::string& name, const Linear& l,
                int row_begin, int rows) {
  std::vector<float> w(l.w.begin() + static_cast<long>(row_begin) * l.in,
                       l.w.begin() + static_cast<long>(row_begin + rows) * l.in);
  std::vector<float> b(l.b.begin() + row_begin, l.b.begin() + row_begin + rows);
  out->push_back(format::make_f32_tensor(name + ".weight", {rows, l.in}, w));
  out->push_back(format::make_f32_tensor(name + ".bias", {rows}, b));
}

void add_vector(std::vector<format::Tensor>* out, const std::string& name,
                const std::vector<float>& v, std::vector<int64_t> shape) {
  out->push_back(format::make_f32_tensor(name, std::move(shape), v));
}

}  // namespace

nlohmann::json config_to_json(const hf::EncoderConfig& c) {
  nlohmann::json j = {{"model_type", c.model_type},
                      {"vocab_size", c.vocab_size},
                      {"hidden_size", c.hidden_size},
                      {"num_hidden_layers", c.num_layers},
                      {"num_attention_heads", c.num_heads},
                      {"intermediate_size", c.intermediate_size},
                      {"max_position_embeddings", c.max_position_embeddings},
                      {"type_vocab_size", c.type_vocab_size},
                      {"pad_token_id", c.pad_token_id},
                      {"layer_norm_eps", c.layer_norm_eps},
                      {"hidden_act", activation_name(c)}};
  if (!c.architecture.empty()) j["architectures"] = {c.architecture};
  if (c.model_type == "electra") j["embedding_size"] = c.embedding_size;
  if (!c.labels.empty()) {
    nlohmann::json id2label = nlohmann::json::object();
    for (size_t i = 0; i < c.labels.size(); ++i) id2label[std::to_string(i)] = c.labels[i];
    j["id2label"] = id2label;
  }
  return j;
}

std::vector<format::Tensor> encoder_to_tensors(const EncoderWeights& w) {
  const hf::EncoderConfig& c = w.config;
  const std::string p = c.model_type + ".";
  const int e = c.embedding_size, h = c.hidden_size;
  std::vector<format::Tensor> out;
  add_vector(&out, p + "embeddings.word_embeddings.weight", w.word_embeddings, {c.vocab_size, e});
  add_vector(&out, p + "embeddings.position_embeddings.weight", w.position_embeddings,
             {c.max_position_embeddings, e});
  add_vector(&out, p + "embeddings.token_type_embeddings.weight", w.token_type_embeddings,
             {c.type_vocab_size, e});
  add_vector(&out, p + "embeddings.LayerNorm.weight", w.embedding_ln_gamma, {e});
  add_vector(&out, p + "embeddings.LayerNorm.bias", w.embedding_ln_beta, {e});
  if (w.has_projection) add_linear(&out, p + "embeddings_project", w.projection, 0, h);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const EncoderLayer& l = w.layers[i];
    const std::string at = p + "encoder.layer." + std::to_string(i) + ".";
    add_linear(&out, at + "attention.self.query", l.qkv, 0, h);
    add_linear(&out, at + "attention.self.key", l.qkv, h, h);
    add_linear(&out, at + "attention.self.value", l.qkv, 2 * h, h);
    add_linear(&out, at + "attention.output.dense", l.attention_out, 0, h);
    add_vector(&out, at + "attention.output.LayerNorm.weight", l.ln1_gamma, {h});
    add_vector(&out, at + "attention.output.LayerNorm.bias", l.ln1_beta, {h});
    add_linear(&out, at + "intermediate.dense", l.intermediate, 0, c.intermediate_size);
    add_linear(&out, at + "output.dense", l.output, 0, h);
    add_vector(&out, at + "output.LayerNorm.weight", l.ln2_gamma, {h});
    add_vector(&out, at + "output.LayerNorm.bias", l.ln2_beta, {h});
  }
  if (w.head == HeadKind::kBertPooler) {
    add_linear(&out, p + "pooler.dense", w.head_dense, 0, h);
    add_linear(&out, "classifier", w.head_out, 0, w.head_out.out);
  } else if (w.head == HeadKind::kElectra) {
    add_linear(&out, "classifier.dense", w.head_dense, 0, h);
    add_linear(&out, "classifier.out_proj", w.head_out, 0, w.head_out.out);
  }
  return out;
}

StatusOr<EncoderWeights> encoder_from_tensors(const nlohmann::json& config_json,
                                              const std::vector<format::Tensor>& tensors,
                                              const std::string& where) {
  FENLEI_ASSIGN_OR_RETURN(hf::EncoderConfig config,
                          hf::parse_encoder_config(config_json.dump(), where + ": architecture"));
  hf::TensorMap map;
  for (const auto& t : tensors) {
    if (t.dtype != format::DType::kF32) continue;  // int8 copies are the quantised engine's
    hf::Tensor h;
    h.shape = t.shape;
    if (t.data.size() % 4) return data_loss_error(where + ": tensor '" + t.name + "' size");
    h.data.resize(t.data.size() / 4);
    std::memcpy(h.data.data(), t.data.data(), t.data.size());
    map.emplace(t.name, std::move(h));
  }
  return build_encoder(config, map, where);
}

StatusOr<Checkpoint> read_checkpoint(const std::string& dir) {
  Checkpoint ck;
  const std::string config_path = dir + "/config.json";
  if (!file_exists(config_path))
    return not_found_error(dir + ": no config.json (is this a Hugging Face checkpoint directory?)");
  FENLEI_ASSIGN_OR_RETURN(hf::EncoderConfig config, hf::read_encoder_config(config_path));
  std::string weights;
  hf::TensorMap tensors;
  if (file_exists(dir + "/model.safetensors")) {
    weights = "model.safetensors";
    FENLEI_ASSIGN_OR_RETURN(tensors, hf::read_safetensors(dir + "/" + weights));
  } else if (file_exists(dir + "/pytorch_model.bin")) {
    weights = "pytorch_model.bin";
    FENLEI_ASSIGN_OR_RETURN(tensors, hf::read_pytorch_bin(dir + "/" + weights));
  } else if (file_exists(dir + "/model.safetensors.index.json") ||
             file_exists(dir + "/pytorch_model.bin.index.json")) {
    return unimplemented_error(dir + ": sharded checkpoints are not supported; save with a larger "
                                     "max_shard_size");
  } else {
    return not_found_error(dir + ": neither model.safetensors nor pytorch_model.bin");
  }
  FENLEI_ASSIGN_OR_RETURN(ck.encoder, build_encoder(config, tensors, dir + "/" + weights));
  if (ck.encoder.head == HeadKind::kNone)
    return invalid_argument_error(
        dir + "/" + weights + ": no classification head (classifier.*); import needs a "
                              "*ForSequenceClassification checkpoint");
  FENLEI_ASSIGN_OR_RETURN(ck.tokenizer,
                          hf::read_tokenizer_files(dir, config.max_position_embeddings));
  if (static_cast<int>(ck.tokenizer.vocab.size()) > config.vocab_size)
    return invalid_argument_error(dir + ": the vocabulary (" + ck.tokenizer.source + ") has " +
                                  std::to_string(ck.tokenizer.vocab.size()) +
                                  " tokens, more than config.json vocab_size " +
                                  std::to_string(config.vocab_size));
  ck.labels = config.labels;
  if (ck.labels.empty()) {
    for (int i = 0; i < ck.encoder.num_labels(); ++i) ck.labels.push_back("LABEL_" + std::to_string(i));
  }
  ck.source = {{"directory", dir},
               {"weights", weights},
               {"tokenizer", ck.tokenizer.source},
               {"model_type", config.model_type},
               {"architecture", config.architecture}};
  return ck;
}

}  // namespace fenlei::transformer
