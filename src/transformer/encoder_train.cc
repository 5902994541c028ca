#include "transformer/encoder_train.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "nn/rng.h"
#include "transformer/train_layers.h"

namespace fenlei::transformer {

void SparseRows::reset(int vocab, int d) {
  dim = d;
  slot.assign(vocab, -1);
  rows.clear();
  values.clear();
}

float* SparseRows::row(int32_t id) {
  if (slot[id] < 0) {
    slot[id] = static_cast<int32_t>(rows.size());
    rows.push_back(id);
    values.resize(values.size() + dim, 0.0f);
  }
  return values.data() + static_cast<long>(slot[id]) * dim;
}

void SparseRows::clear() {
  for (int32_t r : rows) slot[r] = -1;
  rows.clear();
  values.clear();
}

namespace {

void zero_linear(Linear* l) {
  std::fill(l->w.begin(), l->w.end(), 0.0f);
  std::fill(l->b.begin(), l->b.end(), 0.0f);
}

template <typename Fn>
void for_each_dense(EncoderWeights* w, Fn fn) {
  for (auto* v : {&w->position_embeddings, &w->token_type_embeddings, &w->embedding_ln_gamma,
                  &w->embedding_ln_beta})
    fn(v);
  auto lin = [&](Linear* l) {
    fn(&l->w);
    fn(&l->b);
  };
  if (w->has_projection) lin(&w->projection);
  for (EncoderLayer& l : w->layers) {
    lin(&l.qkv);
    lin(&l.attention_out);
    fn(&l.ln1_gamma);
    fn(&l.ln1_beta);
    lin(&l.intermediate);
    lin(&l.output);
    fn(&l.ln2_gamma);
    fn(&l.ln2_beta);
  }
  if (w->head != HeadKind::kNone) {
    lin(&w->head_dense);
    lin(&w->head_out);
  }
}

}  // namespace

EncoderGrads EncoderGrads::zeros_like(const EncoderWeights& w) {
  EncoderGrads g;
  g.d.config = w.config;
  g.d.position_embeddings.assign(w.position_embeddings.size(), 0.0f);
  g.d.token_type_embeddings.assign(w.token_type_embeddings.size(), 0.0f);
  g.d.embedding_ln_gamma.assign(w.embedding_ln_gamma.size(), 0.0f);
  g.d.embedding_ln_beta.assign(w.embedding_ln_beta.size(), 0.0f);
  g.d.has_projection = w.has_projection;
  g.d.projection = w.projection;
  g.d.layers = w.layers;
  g.d.head = w.head;
  g.d.head_dense = w.head_dense;
  g.d.head_out = w.head_out;
  for_each_dense(&g.d, [](std::vector<float>* v) { std::fill(v->begin(), v->end(), 0.0f); });
  if (g.d.head == HeadKind::kNone) {
    zero_linear(&g.d.head_dense);
    zero_linear(&g.d.head_out);
  }
  g.word.reset(w.config.vocab_size, w.config.embedding_size);
  return g;
}

void EncoderGrads::clear() {
  for_each_dense(&d, [](std::vector<float>* v) { std::fill(v->begin(), v->end(), 0.0f); });
  word.clear();
}

void EncoderGrads::add(const EncoderGrads& other) {
  std::vector<std::vector<float>*> mine, theirs;
  for_each_dense(&d, [&](std::vector<float>* v) { mine.push_back(v); });
  for_each_dense(const_cast<EncoderWeights*>(&other.d),
                 [&](std::vector<float>* v) { theirs.push_back(v); });
  for (size_t t = 0; t < mine.size(); ++t) {
    float* a = mine[t]->data();
    const float* b = theirs[t]->data();
    for (size_t i = 0; i < mine[t]->size(); ++i) a[i] += b[i];
  }
  for (size_t r = 0; r < other.word.rows.size(); ++r) {
    float* a = word.row(other.word.rows[r]);
    const float* b = other.word.values.data() + static_cast<long>(r) * word.dim;
    for (int i = 0; i < word.dim; ++i) a[i] += b[i];
  }
}

void EncoderGrads::scale(float s) {
  for_each_dense(&d, [&](std::vector<float>* v) {
    for (float& x : *v) x *= s;
  });
  for (float& x : word.values) x *= s;
}

double EncoderGrads::squared_norm() const {
  double sum = 0;
  for_each_dense(const_cast<EncoderWeights*>(&d), [&](std::vector<float>* v) {
    for (float x : *v) sum += double(x) * x;
  });
  for (float x : word.values) sum += double(x) * x;
  return sum;
}

std::vector<ParamView> param_views(EncoderWeights* w) {
  const hf::EncoderConfig& c = w->config;
  const std::string p = c.model_type + ".";
  const int h = c.hidden_size;
  std::vector<ParamView> out;
  auto vec = [&](const std::string& name, std::vector<float>* v, bool decay) {
    out.push_back({name, v->data(), static_cast<long>(v->size()), decay});
  };
  auto lin = [&](const std::string& name, Linear* l) {
    vec(name + ".weight", &l->w, true);
    vec(name + ".bias", &l->b, false);
  };
  vec(p + "embeddings.word_embeddings.weight", &w->word_embeddings, true);
  vec(p + "embeddings.position_embeddings.weight", &w->position_embeddings, true);
  vec(p + "embeddings.token_type_embeddings.weight", &w->token_type_embeddings, true);
  vec(p + "embeddings.LayerNorm.weight", &w->embedding_ln_gamma, false);
  vec(p + "embeddings.LayerNorm.bias", &w->embedding_ln_beta, false);
  if (w->has_projection) lin(p + "embeddings_project", &w->projection);
  for (size_t i = 0; i < w->layers.size(); ++i) {
    EncoderLayer& l = w->layers[i];
    const std::string at = p + "encoder.layer." + std::to_string(i) + ".";
    const char* qkv[] = {"attention.self.query", "attention.self.key", "attention.self.value"};
    for (int part = 0; part < 3; ++part)
      out.push_back({at + qkv[part] + ".weight", l.qkv.w.data() + static_cast<long>(part) * h * h,
                     static_cast<long>(h) * h, true});
    for (int part = 0; part < 3; ++part)
      out.push_back({at + qkv[part] + ".bias", l.qkv.b.data() + static_cast<long>(part) * h, h,
                     false});
    lin(at + "attention.output.dense", &l.attention_out);
    vec(at + "attention.output.LayerNorm.weight", &l.ln1_gamma, false);
    vec(at + "attention.output.LayerNorm.bias", &l.ln1_beta, false);
    lin(at + "intermediate.dense", &l.intermediate);
    lin(at + "output.dense", &l.output);
    vec(at + "output.LayerNorm.weight", &l.ln2_gamma, false);
    vec(at + "output.LayerNorm.bias", &l.ln2_beta, false);
  }
  if (w->head == HeadKind::kBertPooler) {
    lin(p + "pooler.dense", &w->head_dense);
    lin("classifier", &w->head_out);
  } else if (w->head == HeadKind::kElectra) {
    lin("classifier.dense", &w->head_dense);
    lin("classifier.out_proj", &w->head_out);
  }
  return out;
}

DropoutSpec DropoutSpec::from_config(const hf::EncoderConfig& c) {
  DropoutSpec d;
  d.enabled = true;
  d.hidden = c.hidden_dropout_prob;
  d.attention = c.attention_probs_dropout_prob;
  d.classifier = c.classifier_dropout >= 0 ? c.classifier_dropout : c.hidden_dropout_prob;
  return d;
}

struct LayerCache {
  int rows = 0;                   // query rows computed (len, or 1 in the last layer)
  std::vector<float> x_in;        // len x h: the layer's input (and residual)
  std::vector<float> qkv;         // len x 3h
  std::vector<float> probs;       // heads x rows x len
  std::vector<uint8_t> attn_keep;  // heads x rows x len (attention dropout)
  std::vector<float> ctx;         // rows x h
  std::vector<uint8_t> keep1;     // rows x h (dropout after attention.output.dense)
  std::vector<float> xhat1, inv1;
  std::vector<float> x1;          // rows x h: LayerNorm 1 output
  std::vector<float> inter_pre;   // rows x f
  std::vector<float> inter_act;   // rows x f
  std::vector<uint8_t> keep2;     // rows x h (dropout after output.dense)
  std::vector<float> xhat2, inv2;
};

struct TrainWorkspace {
  int len = 0;
  std::vector<float> emb_xhat, emb_inv, emb_out;  // len x e
  std::vector<uint8_t> emb_keep;
  std::vector<LayerCache> layers;
  std::vector<float> cls;  // h: the last layer's [CLS] output
  std::vector<uint8_t> head_keep_a, head_keep_b;
  std::vector<float> head_in;    // h: [CLS] after dropout (ELECTRA) / pooled after dropout (BERT)
  std::vector<float> head_pre;   // h: dense output before the activation
  std::vector<float> head_act;   // h: after tanh / gelu (before dropout)
  std::vector<float> head_act_dropped;
  std::vector<float> logits, dlogits;
  // Backward scratch.
  std::vector<float> dx, dx_next, dqkv, dctx, dinter, tmp, dh1, dh2, demb;
};

void TrainWorkspaceDeleter::operator()(TrainWorkspace* w) const { delete w; }
TrainWorkspacePtr make_train_workspace() { return TrainWorkspacePtr(new TrainWorkspace()); }

namespace {

// Dropout sites within one example: each draws its mask from its own key.
uint64_t site_key(const DropoutSpec& d, uint64_t site) { return nn::mix64(d.key + site * 0x9e3779b97f4a7c15ULL); }
constexpr uint64_t kSiteEmbedding = 1, kSiteHeadA = 2, kSiteHeadB = 3;
uint64_t layer_site(size_t layer, int which) { return 16 + layer * 4 + which; }

void dropout_forward(const DropoutSpec& d, float p, uint64_t site, float* x, long n,
                     std::vector<uint8_t>* keep) {
  if (!d.enabled || p <= 0) {
    keep->clear();
    return;
  }
  keep->resize(n);
  make_dropout_mask(site_key(d, site), p, n, keep->data());
  apply_dropout(x, n, keep->data(), p);
}

void dropout_backward(const std::vector<uint8_t>& keep, float p, float* g, long n) {
  if (!keep.empty()) apply_dropout(g, n, keep.data(), p);
}

void resize(std::vector<float>* v, long n) { v->resize(n); }

// `all_rows`: the last layer computes every position and no head runs (masked-language
// modelling reads ws->cls as len x hidden).
void forward_train(const EncoderWeights& w, const std::vector<int32_t>& ids,
                   const DropoutSpec& drop, TrainWorkspace* ws, bool all_rows = false) {
  const hf::EncoderConfig& c = w.config;
  const int len = std::clamp(static_cast<int>(ids.size()), 1, c.max_position_embeddings);
  const int e = c.embedding_size, h = c.hidden_size, f = c.intermediate_size, heads = c.num_heads;
  ws->len = len;
  resize(&ws->emb_out, static_cast<long>(len) * e);
  resize(&ws->emb_xhat, static_cast<long>(len) * e);
  resize(&ws->emb_inv, len);
  for (int i = 0; i < len; ++i) {
    const int32_t id = std::clamp<int32_t>(ids[i], 0, c.vocab_size - 1);
    const float* word = w.word_embeddings.data() + static_cast<long>(id) * e;
    const float* pos = w.position_embeddings.data() + static_cast<long>(i) * e;
    const float* type = w.token_type_embeddings.data();
    float* out = ws->emb_out.data() + static_cast<long>(i) * e;
    for (int j = 0; j < e; ++j) out[j] = word[j] + pos[j] + type[j];
  }
  layer_norm_train(ws->emb_out.data(), len, e, w.embedding_ln_gamma.data(),
                   w.embedding_ln_beta.data(), c.layer_norm_eps, ws->emb_out.data(),
                   ws->emb_xhat.data(), ws->emb_inv.data());
  dropout_forward(drop, drop.hidden, kSiteEmbedding, ws->emb_out.data(),
                  static_cast<long>(len) * e, &ws->emb_keep);
  ws->layers.resize(w.layers.size());
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const EncoderLayer& layer = w.layers[l];
    LayerCache& lc = ws->layers[l];
    const bool last = l + 1 == w.layers.size();
    const int rows = last && !all_rows ? 1 : len;
    lc.rows = rows;
    resize(&lc.x_in, static_cast<long>(len) * h);
    if (l == 0) {
      if (w.has_projection) {
        linear(ws->emb_out.data(), len, w.projection, lc.x_in.data());
      } else {
        std::copy(ws->emb_out.begin(), ws->emb_out.begin() + static_cast<long>(len) * h,
                  lc.x_in.begin());
      }
    }
    resize(&lc.qkv, static_cast<long>(len) * 3 * h);
    linear(lc.x_in.data(), len, layer.qkv, lc.qkv.data());
    const long plane = static_cast<long>(heads) * rows * len;
    resize(&lc.probs, plane);
    const bool attn_drop = drop.enabled && drop.attention > 0;
    if (attn_drop) {
      lc.attn_keep.resize(plane);
      make_dropout_mask(site_key(drop, layer_site(l, 0)), drop.attention, plane,
                        lc.attn_keep.data());
    } else {
      lc.attn_keep.clear();
    }
    resize(&lc.ctx, static_cast<long>(rows) * h);
    self_attention_train(lc.qkv.data(), len, rows, h, heads,
                         attn_drop ? lc.attn_keep.data() : nullptr, drop.attention,
                         lc.probs.data(), lc.ctx.data());
    resize(&lc.x1, static_cast<long>(rows) * h);
    linear(lc.ctx.data(), rows, layer.attention_out, lc.x1.data());
    dropout_forward(drop, drop.hidden, layer_site(l, 1), lc.x1.data(), static_cast<long>(rows) * h,
                    &lc.keep1);
    for (long i = 0; i < static_cast<long>(rows) * h; ++i) lc.x1[i] += lc.x_in[i];
    resize(&lc.xhat1, static_cast<long>(rows) * h);
    resize(&lc.inv1, rows);
    layer_norm_train(lc.x1.data(), rows, h, layer.ln1_gamma.data(), layer.ln1_beta.data(),
                     c.layer_norm_eps, lc.x1.data(), lc.xhat1.data(), lc.inv1.data());
    resize(&lc.inter_pre, static_cast<long>(rows) * f);
    resize(&lc.inter_act, static_cast<long>(rows) * f);
    linear(lc.x1.data(), rows, layer.intermediate, lc.inter_pre.data());
    std::copy(lc.inter_pre.begin(), lc.inter_pre.end(), lc.inter_act.begin());
    activate(c.hidden_act, lc.inter_act.data(), static_cast<long>(rows) * f);
    // The layer's output goes straight into the next layer's input (or the [CLS] vector).
    std::vector<float>* out = last ? &ws->cls : &ws->layers[l + 1].x_in;
    resize(out, static_cast<long>(rows) * h);
    linear(lc.inter_act.data(), rows, layer.output, out->data());
    dropout_forward(drop, drop.hidden, layer_site(l, 2), out->data(), static_cast<long>(rows) * h,
                    &lc.keep2);
    for (long i = 0; i < static_cast<long>(rows) * h; ++i) (*out)[i] += lc.x1[i];
    resize(&lc.xhat2, static_cast<long>(rows) * h);
    resize(&lc.inv2, rows);
    layer_norm_train(out->data(), rows, h, layer.ln2_gamma.data(), layer.ln2_beta.data(),
                     c.layer_norm_eps, out->data(), lc.xhat2.data(), lc.inv2.data());
  }
  if (all_rows) return;
  // Head on [CLS].
  const int labels = w.head_out.out;
  resize(&ws->head_pre, h);
  resize(&ws->head_act, h);
  resize(&ws->logits, labels);
  if (w.head == HeadKind::kBertPooler) {
    linear(ws->cls.data(), 1, w.head_dense, ws->head_pre.data());
    for (int i = 0; i < h; ++i) ws->head_act[i] = std::tanh(ws->head_pre[i]);
    ws->head_act_dropped = ws->head_act;
    dropout_forward(drop, drop.classifier, kSiteHeadB, ws->head_act_dropped.data(), h,
                    &ws->head_keep_b);
  } else {
    ws->head_in = ws->cls;
    dropout_forward(drop, drop.classifier, kSiteHeadA, ws->head_in.data(), h, &ws->head_keep_a);
    linear(ws->head_in.data(), 1, w.head_dense, ws->head_pre.data());
    std::copy(ws->head_pre.begin(), ws->head_pre.end(), ws->head_act.begin());
    activate(hf::Activation::kGeluErf, ws->head_act.data(), h);
    ws->head_act_dropped = ws->head_act;
    dropout_forward(drop, drop.classifier, kSiteHeadB, ws->head_act_dropped.data(), h,
                    &ws->head_keep_b);
  }
  linear(ws->head_act_dropped.data(), 1, w.head_out, ws->logits.data());
}

// `dhidden` (len x hidden, after forward_train with all_rows): start from the gradient of the
// last layer's output instead of the head's.
void backward(const EncoderWeights& w, const std::vector<int32_t>& ids, const DropoutSpec& drop,
              TrainWorkspace* ws, EncoderGrads* g, const float* dhidden = nullptr) {
  const hf::EncoderConfig& c = w.config;
  const int len = ws->len;
  const int e = c.embedding_size, h = c.hidden_size, f = c.intermediate_size, heads = c.num_heads;
  EncoderWeights& d = g->d;
  if (dhidden) {
    ws->dx.assign(dhidden, dhidden + static_cast<long>(len) * h);
  } else {
    // Head.
    std::vector<float>& dact = ws->tmp;
    dact.assign(h, 0.0f);
    linear_backward(ws->head_act_dropped.data(), 1, w.head_out, ws->dlogits.data(), dact.data(),
                    false, d.head_out.w.data(), d.head_out.b.data());
    dropout_backward(ws->head_keep_b, drop.classifier, dact.data(), h);
    if (w.head == HeadKind::kBertPooler) {
      for (int i = 0; i < h; ++i) dact[i] *= 1.0f - ws->head_act[i] * ws->head_act[i];
    } else {
      activation_backward(hf::Activation::kGeluErf, ws->head_pre.data(), dact.data(), dact.data(), h);
    }
    // dx holds d(layer output) for the rows the layer computed.
    resize(&ws->dx, h);
    const float* head_input = w.head == HeadKind::kBertPooler ? ws->cls.data() : ws->head_in.data();
    linear_backward(head_input, 1, w.head_dense, dact.data(), ws->dx.data(), false,
                    d.head_dense.w.data(), d.head_dense.b.data());
    if (w.head != HeadKind::kBertPooler) dropout_backward(ws->head_keep_a, drop.classifier, ws->dx.data(), h);
  }

  for (size_t li = w.layers.size(); li-- > 0;) {
    const EncoderLayer& layer = w.layers[li];
    EncoderLayer& gl = d.layers[li];
    const LayerCache& lc = ws->layers[li];
    const int rows = lc.rows;
    const long rh = static_cast<long>(rows) * h;
    // LayerNorm 2: dx (rows x h) -> d(x1 + dropout(output(act)))
    resize(&ws->dh2, rh);
    layer_norm_backward(ws->dx.data(), lc.xhat2.data(), lc.inv2.data(), rows, h,
                        layer.ln2_gamma.data(), ws->dh2.data(), gl.ln2_gamma.data(),
                        gl.ln2_beta.data());
    // dh1 = d(x1): the residual plus the FFN's input gradient.
    resize(&ws->dh1, rh);
    std::copy(ws->dh2.begin(), ws->dh2.begin() + rh, ws->dh1.begin());
    dropout_backward(lc.keep2, drop.hidden, ws->dh2.data(), rh);
    resize(&ws->dinter, static_cast<long>(rows) * f);
    linear_backward(lc.inter_act.data(), rows, layer.output, ws->dh2.data(), ws->dinter.data(),
                    false, gl.output.w.data(), gl.output.b.data());
    activation_backward(c.hidden_act, lc.inter_pre.data(), ws->dinter.data(), ws->dinter.data(),
                        static_cast<long>(rows) * f);
    linear_backward(lc.x1.data(), rows, layer.intermediate, ws->dinter.data(), ws->dh1.data(), true,
                    gl.intermediate.w.data(), gl.intermediate.b.data());
    // LayerNorm 1: dh1 -> d(x_in + dropout(attention_out(ctx))), in place.
    layer_norm_backward(ws->dh1.data(), lc.xhat1.data(), lc.inv1.data(), rows, h,
                        layer.ln1_gamma.data(), ws->dh1.data(), gl.ln1_gamma.data(),
                        gl.ln1_beta.data());
    // d(x_in), len x h: the residual on the computed rows, plus the attention's input gradient.
    resize(&ws->dx_next, static_cast<long>(len) * h);
    std::fill(ws->dx_next.begin(), ws->dx_next.end(), 0.0f);
    std::copy(ws->dh1.begin(), ws->dh1.begin() + rh, ws->dx_next.begin());
    dropout_backward(lc.keep1, drop.hidden, ws->dh1.data(), rh);
    resize(&ws->dctx, rh);
    linear_backward(lc.ctx.data(), rows, layer.attention_out, ws->dh1.data(), ws->dctx.data(),
                    false, gl.attention_out.w.data(), gl.attention_out.b.data());
    resize(&ws->dqkv, static_cast<long>(len) * 3 * h);
    self_attention_backward(lc.qkv.data(), len, rows, h, heads, lc.probs.data(),
                            lc.attn_keep.empty() ? nullptr : lc.attn_keep.data(), drop.attention,
                            ws->dctx.data(), ws->dqkv.data());
    linear_backward(lc.x_in.data(), len, layer.qkv, ws->dqkv.data(), ws->dx_next.data(), true,
                    gl.qkv.w.data(), gl.qkv.b.data());
    std::swap(ws->dx, ws->dx_next);
  }
  // Embeddings: dx is d(x_in of layer 0), len x h.
  resize(&ws->demb, static_cast<long>(len) * e);
  if (w.has_projection) {
    linear_backward(ws->emb_out.data(), len, w.projection, ws->dx.data(), ws->demb.data(), false,
                    d.projection.w.data(), d.projection.b.data());
  } else {
    std::copy(ws->dx.begin(), ws->dx.begin() + static_cast<long>(len) * e, ws->demb.begin());
  }
  float* de = ws->demb.data();
  dropout_backward(ws->emb_keep, drop.hidden, de, static_cast<long>(len) * e);
  layer_norm_backward(de, ws->emb_xhat.data(), ws->emb_inv.data(), len, e,
                      w.embedding_ln_gamma.data(), de, d.embedding_ln_gamma.data(),
                      d.embedding_ln_beta.data());
  for (int i = 0; i < len; ++i) {
    const float* gi = de + static_cast<long>(i) * e;
    float* pos = d.position_embeddings.data() + static_cast<long>(i) * e;
    float* type = d.token_type_embeddings.data();
    for (int j = 0; j < e; ++j) {
      pos[j] += gi[j];
      type[j] += gi[j];
    }
    const int32_t id = std::clamp<int32_t>(ids[i], 0, c.vocab_size - 1);
    // torch's nn.Embedding(padding_idx=pad_token_id) never updates the padding row.
    if (id == c.pad_token_id) continue;
    float* word = g->word.row(id);
    for (int j = 0; j < e; ++j) word[j] += gi[j];
  }
}

}  // namespace

void forward_hidden(const EncoderWeights& w, const std::vector<int32_t>& ids,
                    const DropoutSpec& dropout, TrainWorkspace* ws, std::vector<float>* hidden) {
  forward_train(w, ids, dropout, ws, /*all_rows=*/true);
  hidden->assign(ws->cls.begin(), ws->cls.begin() + static_cast<long>(ws->len) * w.config.hidden_size);
}

void backward_hidden(const EncoderWeights& w, const std::vector<int32_t>& ids,
                     const DropoutSpec& dropout, TrainWorkspace* ws, const float* dhidden,
                     EncoderGrads* grads) {
  backward(w, ids, dropout, ws, grads, dhidden);
}

float forward_loss(const EncoderWeights& w, const std::vector<int32_t>& ids, int label,
                   const DropoutSpec& dropout, TrainWorkspace* ws, std::vector<float>* logits) {
  forward_train(w, ids, dropout, ws);
  ws->dlogits.resize(ws->logits.size());
  const float loss = softmax_cross_entropy(ws->logits.data(), static_cast<int>(ws->logits.size()),
                                           label, 1.0f, ws->dlogits.data());
  if (logits) *logits = ws->logits;
  return loss;
}

float forward_backward(const EncoderWeights& w, const std::vector<int32_t>& ids, int label,
                       float grad_scale, const DropoutSpec& dropout, TrainWorkspace* ws,
                       EncoderGrads* grads, std::vector<float>* logits) {
  forward_train(w, ids, dropout, ws);
  ws->dlogits.resize(ws->logits.size());
  const float loss = softmax_cross_entropy(ws->logits.data(), static_cast<int>(ws->logits.size()),
                                           label, grad_scale, ws->dlogits.data());
  if (logits) *logits = ws->logits;
  backward(w, ids, dropout, ws, grads);
  return loss;
}

void init_head(EncoderWeights* w, int num_labels, uint64_t seed, bool keep_pooler) {
  const hf::EncoderConfig& c = w->config;
  const int h = c.hidden_size;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, c.initializer_range);
  auto fresh = [&](Linear* l, int in, int out) {
    l->in = in;
    l->out = out;
    l->w.resize(static_cast<size_t>(in) * out);
    for (float& v : l->w) v = normal(rng);
    l->b.assign(out, 0.0f);
  };
  if (c.model_type == "bert") {
    const bool have_pooler = keep_pooler && w->head_dense.in == h && w->head_dense.out == h &&
                             w->head_dense.w.size() == static_cast<size_t>(h) * h;
    if (!have_pooler) fresh(&w->head_dense, h, h);
    w->head = HeadKind::kBertPooler;
  } else {
    fresh(&w->head_dense, h, h);
    w->head = HeadKind::kElectra;
  }
  fresh(&w->head_out, h, num_labels);
}

}  // namespace fenlei::transformer
