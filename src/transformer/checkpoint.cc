#include "transformer/checkpoint.h"

#include <cstring>
#include <map>

#include "base/file_util.h"
#include "hf/config.h"
#include "hf/safetensors.h"
#include "hf/torch_bin.h"
#include "quant/bf16.h"

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

// An int8 dense layer's rows [row_begin, row_begin + rows): int8 weights, their per-row scales
// and the float bias.
void add_int8_linear(std::vector<format::Tensor>* out, const std::string& name,
                     const Int8Linear& l, int row_begin, int rows) {
  std::vector<int8_t> q(static_cast<size_t>(rows) * l.in);
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < l.in; ++i) q[static_cast<size_t>(r) * l.in + i] = int8_weight(l, row_begin + r, i);
  std::vector<float> scale(l.scale.begin() + row_begin, l.scale.begin() + row_begin + rows);
  std::vector<float> b(l.bias.begin() + row_begin, l.bias.begin() + row_begin + rows);
  out->push_back(format::make_i8_tensor(name + ".weight", {rows, l.in}, q));
  out->push_back(format::make_f32_tensor(name + ".weight_scale", {rows}, scale));
  out->push_back(format::make_f32_tensor(name + ".bias", {rows}, b));
}

// A bf16 dense layer's rows [row_begin, row_begin + rows): the bf16 weights as the bf16 dtype
// (format v2; half the bytes of f32) and the float bias. `bits`: bf16_weights() of the layer.
void add_bf16_linear(std::vector<format::Tensor>* out, const std::string& name,
                     const std::vector<uint16_t>& bits, int in, const std::vector<float>& bias,
                     int row_begin, int rows) {
  std::vector<uint16_t> w(bits.begin() + static_cast<long>(row_begin) * in,
                          bits.begin() + static_cast<long>(row_begin + rows) * in);
  std::vector<float> b(bias.begin() + row_begin, bias.begin() + row_begin + rows);
  out->push_back(format::make_bf16_tensor(name + ".weight", {rows, in}, w));
  out->push_back(format::make_f32_tensor(name + ".bias", {rows}, b));
}

void add_vector(std::vector<format::Tensor>* out, const std::string& name,
                const std::vector<float>& v, std::vector<int64_t> shape) {
  out->push_back(format::make_f32_tensor(name, std::move(shape), v));
}

}  // namespace

StatusOr<std::vector<float>> widen_bf16_tensor(const format::Tensor& t, const std::string& where) {
  auto bits = format::tensor_to_bf16(t);
  if (!bits.ok()) return data_loss_error(where + ": " + bits.status().message());
  std::vector<float> values(bits->size());
  for (size_t i = 0; i < values.size(); ++i) values[i] = quant::bf16_to_float((*bits)[i]);
  return values;
}

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
                      {"hidden_act", activation_name(c)},
                      {"hidden_dropout_prob", c.hidden_dropout_prob},
                      {"attention_probs_dropout_prob", c.attention_probs_dropout_prob},
                      {"initializer_range", c.initializer_range}};
  if (c.classifier_dropout >= 0) j["classifier_dropout"] = c.classifier_dropout;
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
    if (w.quantized()) {
      const Int8Layer& q = w.int8_layers[i];
      add_int8_linear(&out, at + "attention.self.query", q.qkv, 0, h);
      add_int8_linear(&out, at + "attention.self.key", q.qkv, h, h);
      add_int8_linear(&out, at + "attention.self.value", q.qkv, 2 * h, h);
      add_int8_linear(&out, at + "attention.output.dense", q.attention_out, 0, h);
      add_int8_linear(&out, at + "intermediate.dense", q.intermediate, 0, c.intermediate_size);
      add_int8_linear(&out, at + "output.dense", q.output, 0, h);
    } else if (w.bf16()) {
      // The bf16 weights as they are (format v2's bf16 dtype). Files before it stored them
      // widened to f32, which encoder_from_tensors still reads: the engine rounds either back to
      // the same bits.
      const Bf16Layer& b = w.bf16_layers[i];
      const std::vector<uint16_t> qkv = bf16_weights(b.qkv);
      add_bf16_linear(&out, at + "attention.self.query", qkv, h, l.qkv.b, 0, h);
      add_bf16_linear(&out, at + "attention.self.key", qkv, h, l.qkv.b, h, h);
      add_bf16_linear(&out, at + "attention.self.value", qkv, h, l.qkv.b, 2 * h, h);
      add_bf16_linear(&out, at + "attention.output.dense", bf16_weights(b.attention_out), h,
                      l.attention_out.b, 0, h);
      add_bf16_linear(&out, at + "intermediate.dense", bf16_weights(b.intermediate), h,
                      l.intermediate.b, 0, c.intermediate_size);
      add_bf16_linear(&out, at + "output.dense", bf16_weights(b.output), c.intermediate_size,
                      l.output.b, 0, h);
    } else {
      add_linear(&out, at + "attention.self.query", l.qkv, 0, h);
      add_linear(&out, at + "attention.self.key", l.qkv, h, h);
      add_linear(&out, at + "attention.self.value", l.qkv, 2 * h, h);
      add_linear(&out, at + "attention.output.dense", l.attention_out, 0, h);
      add_linear(&out, at + "intermediate.dense", l.intermediate, 0, c.intermediate_size);
      add_linear(&out, at + "output.dense", l.output, 0, h);
    }
    add_vector(&out, at + "attention.output.LayerNorm.weight", l.ln1_gamma, {h});
    add_vector(&out, at + "attention.output.LayerNorm.bias", l.ln1_beta, {h});
    add_vector(&out, at + "output.LayerNorm.weight", l.ln2_gamma, {h});
    add_vector(&out, at + "output.LayerNorm.bias", l.ln2_beta, {h});
  }
  if (w.head == HeadKind::kBertPooler) {
    add_linear(&out, p + "pooler.dense", w.head_dense, 0, h);
    add_linear(&out, "classifier", w.head_out, 0, w.head_out.out);
  } else if (w.head == HeadKind::kElectra) {
    add_linear(&out, "classifier.dense", w.head_dense, 0, h);
    add_linear(&out, "classifier.out_proj", w.head_out, 0, w.head_out.out);
  } else if (!w.head_dense.w.empty()) {
    add_linear(&out, p + "pooler.dense", w.head_dense, 0, h);  // a headless BERT's pooler
  }
  return out;
}

StatusOr<EncoderWeights> encoder_from_tensors(const nlohmann::json& config_json,
                                              const std::vector<format::Tensor>& tensors,
                                              const std::string& where) {
  FENLEI_ASSIGN_OR_RETURN(hf::EncoderConfig config,
                          hf::parse_encoder_config(config_json.dump(), where + ": architecture"));
  hf::TensorMap map;
  std::map<std::string, const format::Tensor*> int8;  // "<linear>.weight" -> its int8 tensor
  for (const auto& t : tensors) {
    if (t.dtype == format::DType::kI8) {
      int8[t.name] = &t;
      continue;
    }
    if (t.dtype == format::DType::kBF16) {
      FENLEI_ASSIGN_OR_RETURN(std::vector<float> values, widen_bf16_tensor(t, where));
      map.emplace(t.name, hf::Tensor{t.shape, std::move(values)});
      continue;
    }
    if (t.dtype != format::DType::kF32) continue;
    hf::Tensor h;
    h.shape = t.shape;
    const std::string_view bytes = t.bytes();  // owned or borrowed from a mapped file
    if (bytes.size() % 4) return data_loss_error(where + ": tensor '" + t.name + "' size");
    h.data.resize(bytes.size() / 4);
    std::memcpy(h.data.data(), bytes.data(), bytes.size());
    map.emplace(t.name, std::move(h));
  }
  // An int8 weight stands in for its float original while the encoder is built and checked
  // (dequantised), then the layers take the stored int8 values and scales as they are.
  std::map<std::string, std::pair<std::vector<int8_t>, std::vector<float>>> raw;
  for (const auto& [name, t] : int8) {
    auto scale = map.find(name + "_scale");
    if (t->shape.size() != 2 || scale == map.end() || scale->second.shape.size() != 1 ||
        scale->second.shape[0] != t->shape[0] ||
        static_cast<int64_t>(t->bytes().size()) != t->shape[0] * t->shape[1])
      return data_loss_error(where + ": int8 tensor '" + name + "' without a matching _scale");
    hf::Tensor h;
    h.shape = t->shape;
    std::vector<int8_t> q(t->bytes().size());
    std::memcpy(q.data(), t->bytes().data(), q.size());
    h.data.resize(q.size());
    for (size_t i = 0; i < q.size(); ++i)
      h.data[i] = q[i] * scale->second.data[i / t->shape[1]];
    raw[name] = {std::move(q), scale->second.data};
    map[name] = std::move(h);
  }
  FENLEI_ASSIGN_OR_RETURN(EncoderWeights w, build_encoder(config, map, where));
  if (raw.empty()) return w;
  const std::string p = config.model_type + ".encoder.layer.";
  auto stored = [&](const std::string& name, int in, int out, std::vector<int8_t>* q,
                    std::vector<float>* scale) -> Status {
    auto it = raw.find(p + name + ".weight");
    if (it == raw.end())
      return data_loss_error(where + ": a quantised encoder lacks int8 '" + p + name + ".weight'");
    if (static_cast<int64_t>(it->second.first.size()) != int64_t{in} * out)
      return data_loss_error(where + ": int8 '" + p + name + ".weight' has the wrong size");
    q->insert(q->end(), it->second.first.begin(), it->second.first.end());
    scale->insert(scale->end(), it->second.second.begin(), it->second.second.end());
    return Status();
  };
  const int h = config.hidden_size, f = config.intermediate_size;
  for (int i = 0; i < config.num_layers; ++i) {
    EncoderLayer& layer = w.layers[i];
    const std::string at = std::to_string(i) + ".";
    Int8Layer q8;
    struct Part {
      std::vector<std::string> names;
      int in, out;
      Linear* f;
      Int8Linear* q;
    };
    for (const Part& part :
         {Part{{"attention.self.query", "attention.self.key", "attention.self.value"}, h, h,
               &layer.qkv, &q8.qkv},
          Part{{"attention.output.dense"}, h, h, &layer.attention_out, &q8.attention_out},
          Part{{"intermediate.dense"}, h, f, &layer.intermediate, &q8.intermediate},
          Part{{"output.dense"}, f, h, &layer.output, &q8.output}}) {
      std::vector<int8_t> q;
      std::vector<float> scale;
      for (const auto& n : part.names)
        FENLEI_RETURN_IF_ERROR(stored(at + n, part.in, part.out, &q, &scale));
      *part.q = make_int8_linear(part.in, part.f->out, std::move(q), std::move(scale), part.f->b);
      part.f->w.clear();
      part.f->w.shrink_to_fit();
    }
    w.int8_layers.push_back(std::move(q8));
  }
  return w;
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
