#include "transformer/encoder.h"

#include <algorithm>
#include <cmath>

namespace fenlei::transformer {
namespace {

class Picker {
 public:
  Picker(const hf::TensorMap& t, std::string prefix, std::string where)
      : t_(t), prefix_(std::move(prefix)), where_(std::move(where)) {}

  bool has(const std::string& name) const { return find(name) != nullptr; }

  StatusOr<std::vector<float>> get(const std::string& name, std::vector<int64_t> shape) const {
    const hf::Tensor* t = find(name);
    if (!t) return invalid_argument_error(where_ + ": tensor '" + prefix_ + name + "' is missing");
    if (t->shape != shape) {
      auto dims = [](const std::vector<int64_t>& s) {
        std::string out = "[";
        for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
        return out + "]";
      };
      return invalid_argument_error(where_ + ": tensor '" + prefix_ + name + "' has shape " +
                                    dims(t->shape) + ", the config implies " + dims(shape));
    }
    return t->data;
  }

  StatusOr<Linear> linear(const std::string& name, int in, int out) const {
    Linear l;
    l.in = in;
    l.out = out;
    FENLEI_ASSIGN_OR_RETURN(l.w, get(name + ".weight", {out, in}));
    FENLEI_ASSIGN_OR_RETURN(l.b, get(name + ".bias", {out}));
    return l;
  }

  Status layer_norm(const std::string& name, int dim, std::vector<float>* g,
                    std::vector<float>* b) const {
    const bool old = !has(name + ".weight") && has(name + ".gamma");
    FENLEI_ASSIGN_OR_RETURN(*g, get(name + (old ? ".gamma" : ".weight"), {dim}));
    FENLEI_ASSIGN_OR_RETURN(*b, get(name + (old ? ".beta" : ".bias"), {dim}));
    return Status();
  }

  Picker unprefixed() const { return Picker(t_, "", where_); }

 private:
  const hf::Tensor* find(const std::string& name) const {
    auto it = t_.find(prefix_ + name);
    return it == t_.end() ? nullptr : &it->second;
  }

  const hf::TensorMap& t_;
  std::string prefix_;
  std::string where_;
};

Linear fuse(const Linear& q, const Linear& k, const Linear& v) {
  Linear f;
  f.in = q.in;
  f.out = q.out + k.out + v.out;
  for (const Linear* p : {&q, &k, &v}) {
    f.w.insert(f.w.end(), p->w.begin(), p->w.end());
    f.b.insert(f.b.end(), p->b.begin(), p->b.end());
  }
  return f;
}

struct Ops {
  void (*linear)(const float*, int, const Linear&, float*);
  void (*layer_norm)(float*, int, int, const float*, const float*, float);
  bool reference;
  quant::GemmFn gemm = nullptr;  // int8 dense layers of a quantised encoder
};

void act(const Ops& ops, hf::Activation a, float* x, long n) {
  if (!ops.reference) {
    activate(a, x, n);
    return;
  }
  for (long i = 0; i < n; ++i) x[i] = activate_ref(a, x[i]);
}

// Runs the encoder; with `cls_only`, the last layer computes only row 0 (all a classifier reads).
// Returns rows x hidden where rows is 1 (cls_only) or ids.size().
std::vector<float> forward(const EncoderWeights& w, const std::vector<int32_t>& ids, const Ops& ops,
                           bool cls_only) {
  const hf::EncoderConfig& c = w.config;
  const int len = std::clamp(static_cast<int>(ids.size()), 1, c.max_position_embeddings);
  const int e = c.embedding_size, h = c.hidden_size;
  std::vector<float> emb(static_cast<size_t>(len) * e);
  for (int i = 0; i < len; ++i) {
    const int32_t id = i < static_cast<int>(ids.size()) ? std::clamp<int32_t>(ids[i], 0, c.vocab_size - 1) : 0;
    const float* word = w.word_embeddings.data() + static_cast<long>(id) * e;
    const float* pos = w.position_embeddings.data() + static_cast<long>(i) * e;
    const float* type = w.token_type_embeddings.data();
    float* out = emb.data() + static_cast<long>(i) * e;
    for (int j = 0; j < e; ++j) out[j] = word[j] + pos[j] + type[j];
  }
  ops.layer_norm(emb.data(), len, e, w.embedding_ln_gamma.data(), w.embedding_ln_beta.data(),
                 c.layer_norm_eps);
  std::vector<float> x;
  if (w.has_projection) {
    x.resize(static_cast<size_t>(len) * h);
    ops.linear(emb.data(), len, w.projection, x.data());
  } else {
    x = std::move(emb);
  }
  std::vector<float> qkv(static_cast<size_t>(len) * 3 * h), ctx(static_cast<size_t>(len) * h),
      tmp(static_cast<size_t>(len) * h), inter(static_cast<size_t>(len) * c.intermediate_size);
  Int8Scratch int8_scratch;
  const quant::GemmFn gemm = ops.gemm ? ops.gemm : quant::best_gemm();
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const EncoderLayer& layer = w.layers[l];
    const Int8Layer* q8 = w.quantized() ? &w.int8_layers[l] : nullptr;
    auto dense = [&](const float* in, int n, const Linear& f, const Int8Linear Int8Layer::*member,
                     float* out) {
      if (q8) {
        linear_int8(in, n, q8->*member, out, gemm, &int8_scratch);
      } else {
        ops.linear(in, n, f, out);
      }
    };
    const bool last = l + 1 == w.layers.size();
    const int rows = cls_only && last ? 1 : len;
    dense(x.data(), len, layer.qkv, &Int8Layer::qkv, qkv.data());
    if (ops.reference) {
      self_attention_ref(qkv.data(), len, h, c.num_heads, ctx.data());
    } else {
      self_attention(qkv.data(), len, rows, h, c.num_heads, ctx.data());
    }
    dense(ctx.data(), rows, layer.attention_out, &Int8Layer::attention_out, tmp.data());
    for (long i = 0; i < static_cast<long>(rows) * h; ++i) x[i] += tmp[i];
    ops.layer_norm(x.data(), rows, h, layer.ln1_gamma.data(), layer.ln1_beta.data(),
                   c.layer_norm_eps);
    dense(x.data(), rows, layer.intermediate, &Int8Layer::intermediate, inter.data());
    act(ops, c.hidden_act, inter.data(), static_cast<long>(rows) * c.intermediate_size);
    dense(inter.data(), rows, layer.output, &Int8Layer::output, tmp.data());
    for (long i = 0; i < static_cast<long>(rows) * h; ++i) x[i] += tmp[i];
    ops.layer_norm(x.data(), rows, h, layer.ln2_gamma.data(), layer.ln2_beta.data(),
                   c.layer_norm_eps);
  }
  if (cls_only) x.resize(h);
  return x;
}

std::vector<float> head(const EncoderWeights& w, const std::vector<float>& cls, const Ops& ops) {
  std::vector<float> hidden(w.head_dense.out), logits(w.head_out.out);
  ops.linear(cls.data(), 1, w.head_dense, hidden.data());
  if (w.head == HeadKind::kBertPooler) {
    for (float& v : hidden) v = std::tanh(v);
  } else {
    act(ops, hf::Activation::kGeluErf, hidden.data(), static_cast<long>(hidden.size()));
  }
  ops.linear(hidden.data(), 1, w.head_out, logits.data());
  return logits;
}

const Ops kFast{linear, layer_norm, false, nullptr};
const Ops kRef{linear_ref, layer_norm_ref, true, nullptr};

}  // namespace

StatusOr<EncoderWeights> build_encoder(const hf::EncoderConfig& c, const hf::TensorMap& tensors,
                                       const std::string& where) {
  EncoderWeights w;
  w.config = c;
  const std::string prefix = c.model_type + ".";
  const bool prefixed = tensors.count(prefix + "embeddings.word_embeddings.weight") > 0;
  const Picker top(tensors, "", where);
  const Picker p = prefixed ? Picker(tensors, prefix, where) : top;
  const int e = c.embedding_size, h = c.hidden_size;
  FENLEI_ASSIGN_OR_RETURN(w.word_embeddings,
                          p.get("embeddings.word_embeddings.weight", {c.vocab_size, e}));
  FENLEI_ASSIGN_OR_RETURN(w.position_embeddings, p.get("embeddings.position_embeddings.weight",
                                                       {c.max_position_embeddings, e}));
  FENLEI_ASSIGN_OR_RETURN(w.token_type_embeddings, p.get("embeddings.token_type_embeddings.weight",
                                                         {c.type_vocab_size, e}));
  FENLEI_RETURN_IF_ERROR(
      p.layer_norm("embeddings.LayerNorm", e, &w.embedding_ln_gamma, &w.embedding_ln_beta));
  if (p.has("embeddings_project.weight") || e != h) {
    w.has_projection = true;
    FENLEI_ASSIGN_OR_RETURN(w.projection, p.linear("embeddings_project", e, h));
  }
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string at = "encoder.layer." + std::to_string(i) + ".";
    EncoderLayer layer;
    FENLEI_ASSIGN_OR_RETURN(Linear q, p.linear(at + "attention.self.query", h, h));
    FENLEI_ASSIGN_OR_RETURN(Linear k, p.linear(at + "attention.self.key", h, h));
    FENLEI_ASSIGN_OR_RETURN(Linear v, p.linear(at + "attention.self.value", h, h));
    layer.qkv = fuse(q, k, v);
    FENLEI_ASSIGN_OR_RETURN(layer.attention_out, p.linear(at + "attention.output.dense", h, h));
    FENLEI_RETURN_IF_ERROR(
        p.layer_norm(at + "attention.output.LayerNorm", h, &layer.ln1_gamma, &layer.ln1_beta));
    FENLEI_ASSIGN_OR_RETURN(layer.intermediate,
                            p.linear(at + "intermediate.dense", h, c.intermediate_size));
    FENLEI_ASSIGN_OR_RETURN(layer.output, p.linear(at + "output.dense", c.intermediate_size, h));
    FENLEI_RETURN_IF_ERROR(p.layer_norm(at + "output.LayerNorm", h, &layer.ln2_gamma, &layer.ln2_beta));
    w.layers.push_back(std::move(layer));
  }
  if (top.has("classifier.out_proj.weight")) {
    w.head = HeadKind::kElectra;
    FENLEI_ASSIGN_OR_RETURN(w.head_dense, top.linear("classifier.dense", h, h));
    const int labels = static_cast<int>(tensors.at("classifier.out_proj.weight").shape.at(0));
    FENLEI_ASSIGN_OR_RETURN(w.head_out, top.linear("classifier.out_proj", h, labels));
  } else if (top.has("classifier.weight") && p.has("pooler.dense.weight")) {
    w.head = HeadKind::kBertPooler;
    FENLEI_ASSIGN_OR_RETURN(w.head_dense, p.linear("pooler.dense", h, h));
    const int labels = static_cast<int>(tensors.at("classifier.weight").shape.at(0));
    FENLEI_ASSIGN_OR_RETURN(w.head_out, top.linear("classifier", h, labels));
  } else if (c.model_type == "bert" && p.has("pooler.dense.weight")) {
    // A bare BertModel: no head, but its pretrained pooler is kept for fine-tuning to start from.
    FENLEI_ASSIGN_OR_RETURN(w.head_dense, p.linear("pooler.dense", h, h));
  }
  if (w.head != HeadKind::kNone) {
    if (w.head_out.out < 1 || w.head_out.out > 100000)
      return invalid_argument_error(where + ": classifier has " + std::to_string(w.head_out.out) +
                                    " labels");
    if (!c.labels.empty() && static_cast<int>(c.labels.size()) != w.head_out.out)
      return invalid_argument_error(where + ": config.json id2label has " +
                                    std::to_string(c.labels.size()) + " labels, the classifier " +
                                    std::to_string(w.head_out.out));
  }
  return w;
}

std::vector<float> classify_logits(const EncoderWeights& w, const std::vector<int32_t>& ids,
                                   quant::GemmFn gemm) {
  Ops ops = kFast;
  ops.gemm = gemm;
  return head(w, forward(w, ids, ops, /*cls_only=*/true), kFast);
}

EncoderWeights quantize_encoder(const EncoderWeights& f) {
  EncoderWeights w = f;
  w.int8_layers.clear();
  for (EncoderLayer& layer : w.layers) {
    Int8Layer q;
    q.qkv = quantize_linear(layer.qkv);
    q.attention_out = quantize_linear(layer.attention_out);
    q.intermediate = quantize_linear(layer.intermediate);
    q.output = quantize_linear(layer.output);
    for (Linear* l : {&layer.qkv, &layer.attention_out, &layer.intermediate, &layer.output}) {
      l->w.clear();
      l->w.shrink_to_fit();
    }
    w.int8_layers.push_back(std::move(q));
  }
  return w;
}

std::vector<float> encode_hidden(const EncoderWeights& w, const std::vector<int32_t>& ids) {
  return forward(w, ids, kFast, /*cls_only=*/false);
}

std::vector<float> classify_logits_ref(const EncoderWeights& w, const std::vector<int32_t>& ids) {
  std::vector<float> hidden = forward(w, ids, kRef, /*cls_only=*/false);
  hidden.resize(w.config.hidden_size);
  return head(w, hidden, kRef);
}

void softmax_in_place(std::vector<float>* v) {
  if (v->empty()) return;
  const float mx = *std::max_element(v->begin(), v->end());
  double sum = 0;
  for (float& x : *v) sum += (x = std::exp(x - mx));
  for (float& x : *v) x = static_cast<float>(x / sum);
}

}  // namespace fenlei::transformer
