#include "transformer/encoder_train.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "nn/rng.h"
#include "transformer/train_kernels.h"
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
  for_each_dense(const_cast<EncoderWeights*>(&d),
                 [&](std::vector<float>* v) { sum += sum_squares(v->data(), static_cast<long>(v->size())); });
  sum += sum_squares(word.values.data(), static_cast<long>(word.values.size()));
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

// Activations of one forward pass over a chunk of examples stacked row-wise: example b's rows
// are [off[b], off[b + 1]) of every len-row buffer; a layer's query rows (all rows, or only
// [CLS] in the last layer) are [qoff[b], qoff[b + 1]).
struct LayerCache {
  std::vector<int> qoff;           // query-row offsets per example
  std::vector<long> poff;          // offsets into probs / attn_keep per example
  std::vector<float> x_in;         // R x h: the layer's input (and residual)
  std::vector<float> qkv;          // R x 3h
  std::vector<float> probs;        // per example heads x rows x len
  std::vector<uint8_t> attn_keep;  // same shape (attention dropout)
  std::vector<float> ctx;          // Q x h
  std::vector<uint8_t> keep1;      // Q x h (dropout after attention.output.dense)
  std::vector<float> xhat1, inv1;
  std::vector<float> x1;           // Q x h: LayerNorm 1 output
  std::vector<float> inter_pre;    // Q x f
  std::vector<float> inter_act;    // Q x f
  std::vector<uint8_t> keep2;      // Q x h (dropout after output.dense)
  std::vector<float> xhat2, inv2;
  int query_rows() const { return qoff.back(); }
};

struct TrainWorkspace {
  std::vector<int> off;  // row offsets per example (len each)
  std::vector<const std::vector<int32_t>*> ids;
  std::vector<uint64_t> keys;
  std::vector<float> emb_xhat, emb_inv, emb_out;  // R x e
  std::vector<uint8_t> emb_keep;
  std::vector<LayerCache> layers;
  std::vector<float> cls;  // B x h: the last layer's [CLS] outputs (R x h: every row, all_rows)
  std::vector<uint8_t> head_keep_a, head_keep_b;
  std::vector<float> head_in;   // B x h: [CLS] after dropout (ELECTRA)
  std::vector<float> head_pre;  // B x h: dense output before the activation
  std::vector<float> head_act;  // B x h: after tanh / gelu (before dropout)
  std::vector<float> head_act_dropped;
  std::vector<float> logits, dlogits;  // B x labels
  // Backward scratch.
  std::vector<float> dx, dx_next, dqkv, dctx, dinter, tmp, dh1, dh2, demb;
  int batch() const { return static_cast<int>(ids.size()); }
  int rows() const { return off.back(); }
};

void TrainWorkspaceDeleter::operator()(TrainWorkspace* w) const { delete w; }
TrainWorkspacePtr make_train_workspace() { return TrainWorkspacePtr(new TrainWorkspace()); }

namespace {

// Dropout sites within one example: each draws its mask from its own key.
uint64_t site_key(uint64_t key, uint64_t site) { return nn::mix64(key + site * 0x9e3779b97f4a7c15ULL); }
constexpr uint64_t kSiteEmbedding = 1, kSiteHeadA = 2, kSiteHeadB = 3;
uint64_t layer_site(size_t layer, int which) { return 16 + layer * 4 + which; }

// Dropout over stacked rows of `width`: example b's rows [off[b], off[b+1]) take the mask of
// its own key, so a mask never depends on which examples share a chunk.
void dropout_forward(const DropoutSpec& d, float p, uint64_t site, const std::vector<uint64_t>& keys,
                     const std::vector<int>& off, long width, float* x, std::vector<uint8_t>* keep) {
  if (!d.enabled || p <= 0) {
    keep->clear();
    return;
  }
  keep->resize(off.back() * width);
  for (size_t b = 0; b + 1 < off.size(); ++b)
    dropout_mask_apply(site_key(keys[b], site), p, (off[b + 1] - off[b]) * width,
                       keep->data() + off[b] * width, x + off[b] * width);
}

void dropout_backward(const std::vector<uint8_t>& keep, float p, float* g, long n) {
  if (!keep.empty()) apply_dropout(g, n, keep.data(), p);
}

// act = activation(pre), keeping pre for the backward pass.
void activation_forward(hf::Activation a, const float* pre, float* act, long n) {
  if (a == hf::Activation::kGeluErf) {
    gelu_erf_forward(pre, act, n);
    return;
  }
  std::copy(pre, pre + n, act);
  activate(a, act, n);
}

// Sizes a scratch buffer; growing past its capacity drops the old contents first, so they are
// not copied (every caller overwrites the buffer).
void resize(std::vector<float>* v, long n) {
  if (static_cast<size_t>(n) > v->capacity()) {
    v->clear();
    v->reserve(n);
  }
  v->resize(n);
}

// `all_rows`: the last layer computes every position and no head runs (masked-language
// modelling reads ws->cls as R x hidden, text b's rows at off[b]).
void forward_train(const EncoderWeights& w, const DropoutSpec& drop, TrainWorkspace* ws,
                   bool all_rows = false) {
  const hf::EncoderConfig& c = w.config;
  const int e = c.embedding_size, h = c.hidden_size, f = c.intermediate_size, heads = c.num_heads;
  const int nb = ws->batch();
  ws->off.assign(1, 0);
  for (int b = 0; b < nb; ++b)
    ws->off.push_back(ws->off.back() +
                      std::clamp(static_cast<int>(ws->ids[b]->size()), 1, c.max_position_embeddings));
  const std::vector<int>& off = ws->off;
  const int R = ws->rows();
  resize(&ws->emb_out, static_cast<long>(R) * e);
  resize(&ws->emb_xhat, static_cast<long>(R) * e);
  resize(&ws->emb_inv, R);
  for (int b = 0; b < nb; ++b) {
    const std::vector<int32_t>& ids = *ws->ids[b];
    for (int i = 0; i < off[b + 1] - off[b]; ++i) {
      const int32_t id = i < static_cast<int>(ids.size()) ? std::clamp<int32_t>(ids[i], 0, c.vocab_size - 1) : 0;
      const float* word = w.word_embeddings.data() + static_cast<long>(id) * e;
      const float* pos = w.position_embeddings.data() + static_cast<long>(i) * e;
      const float* type = w.token_type_embeddings.data();
      float* out = ws->emb_out.data() + static_cast<long>(off[b] + i) * e;
      for (int j = 0; j < e; ++j) out[j] = word[j] + pos[j] + type[j];
    }
  }
  layer_norm_train(ws->emb_out.data(), R, e, w.embedding_ln_gamma.data(),
                   w.embedding_ln_beta.data(), c.layer_norm_eps, ws->emb_out.data(),
                   ws->emb_xhat.data(), ws->emb_inv.data());
  dropout_forward(drop, drop.hidden, kSiteEmbedding, ws->keys, off, e, ws->emb_out.data(),
                  &ws->emb_keep);
  ws->layers.resize(w.layers.size());
  std::vector<int> cls_off(nb + 1);
  for (int b = 0; b <= nb; ++b) cls_off[b] = b;
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const EncoderLayer& layer = w.layers[l];
    LayerCache& lc = ws->layers[l];
    const bool last = l + 1 == w.layers.size();
    lc.qoff = last && !all_rows ? cls_off : off;
    const int Q = lc.query_rows();
    resize(&lc.x_in, static_cast<long>(R) * h);
    if (l == 0) {
      if (w.has_projection) {
        linear(ws->emb_out.data(), R, w.projection, lc.x_in.data());
      } else {
        std::copy(ws->emb_out.begin(), ws->emb_out.begin() + static_cast<long>(R) * h, lc.x_in.begin());
      }
    }
    resize(&lc.qkv, static_cast<long>(R) * 3 * h);
    linear(lc.x_in.data(), R, layer.qkv, lc.qkv.data());
    lc.poff.assign(1, 0);
    for (int b = 0; b < nb; ++b)
      lc.poff.push_back(lc.poff.back() + static_cast<long>(heads) * (lc.qoff[b + 1] - lc.qoff[b]) *
                                             (off[b + 1] - off[b]));
    resize(&lc.probs, lc.poff.back());
    const bool attn_drop = drop.enabled && drop.attention > 0;
    lc.attn_keep.resize(attn_drop ? lc.poff.back() : 0);
    resize(&lc.ctx, static_cast<long>(Q) * h);
    for (int b = 0; b < nb; ++b) {
      const int len = off[b + 1] - off[b], rows = lc.qoff[b + 1] - lc.qoff[b];
      uint8_t* keep = nullptr;
      if (attn_drop) {
        keep = lc.attn_keep.data() + lc.poff[b];
        make_dropout_mask(site_key(ws->keys[b], layer_site(l, 0)), drop.attention,
                          lc.poff[b + 1] - lc.poff[b], keep);
      }
      self_attention_train(lc.qkv.data() + static_cast<long>(off[b]) * 3 * h, len, rows, h, heads,
                           keep, drop.attention, lc.probs.data() + lc.poff[b],
                           lc.ctx.data() + static_cast<long>(lc.qoff[b]) * h);
    }
    resize(&lc.x1, static_cast<long>(Q) * h);
    linear(lc.ctx.data(), Q, layer.attention_out, lc.x1.data());
    dropout_forward(drop, drop.hidden, layer_site(l, 1), ws->keys, lc.qoff, h, lc.x1.data(), &lc.keep1);
    for (int b = 0; b < nb; ++b) {
      const long q0 = static_cast<long>(lc.qoff[b]) * h, x0 = static_cast<long>(off[b]) * h;
      const long n = static_cast<long>(lc.qoff[b + 1] - lc.qoff[b]) * h;
      for (long i = 0; i < n; ++i) lc.x1[q0 + i] += lc.x_in[x0 + i];
    }
    resize(&lc.xhat1, static_cast<long>(Q) * h);
    resize(&lc.inv1, Q);
    layer_norm_train(lc.x1.data(), Q, h, layer.ln1_gamma.data(), layer.ln1_beta.data(),
                     c.layer_norm_eps, lc.x1.data(), lc.xhat1.data(), lc.inv1.data());
    resize(&lc.inter_pre, static_cast<long>(Q) * f);
    resize(&lc.inter_act, static_cast<long>(Q) * f);
    linear(lc.x1.data(), Q, layer.intermediate, lc.inter_pre.data());
    activation_forward(c.hidden_act, lc.inter_pre.data(), lc.inter_act.data(), static_cast<long>(Q) * f);
    // The layer's output goes straight into the next layer's input (or the [CLS] vectors).
    std::vector<float>* out = last ? &ws->cls : &ws->layers[l + 1].x_in;
    resize(out, static_cast<long>(Q) * h);
    linear(lc.inter_act.data(), Q, layer.output, out->data());
    dropout_forward(drop, drop.hidden, layer_site(l, 2), ws->keys, lc.qoff, h, out->data(), &lc.keep2);
    for (long i = 0; i < static_cast<long>(Q) * h; ++i) (*out)[i] += lc.x1[i];
    resize(&lc.xhat2, static_cast<long>(Q) * h);
    resize(&lc.inv2, Q);
    layer_norm_train(out->data(), Q, h, layer.ln2_gamma.data(), layer.ln2_beta.data(),
                     c.layer_norm_eps, out->data(), lc.xhat2.data(), lc.inv2.data());
  }
  if (all_rows) return;
  // Head on the [CLS] rows.
  const int labels = w.head_out.out;
  resize(&ws->head_pre, static_cast<long>(nb) * h);
  resize(&ws->head_act, static_cast<long>(nb) * h);
  resize(&ws->logits, static_cast<long>(nb) * labels);
  if (w.head == HeadKind::kBertPooler) {
    linear(ws->cls.data(), nb, w.head_dense, ws->head_pre.data());
    for (long i = 0; i < static_cast<long>(nb) * h; ++i) ws->head_act[i] = std::tanh(ws->head_pre[i]);
  } else {
    ws->head_in = ws->cls;
    dropout_forward(drop, drop.classifier, kSiteHeadA, ws->keys, cls_off, h, ws->head_in.data(),
                    &ws->head_keep_a);
    linear(ws->head_in.data(), nb, w.head_dense, ws->head_pre.data());
    activation_forward(hf::Activation::kGeluErf, ws->head_pre.data(), ws->head_act.data(),
                       static_cast<long>(nb) * h);
  }
  ws->head_act_dropped = ws->head_act;
  dropout_forward(drop, drop.classifier, kSiteHeadB, ws->keys, cls_off, h,
                  ws->head_act_dropped.data(), &ws->head_keep_b);
  linear(ws->head_act_dropped.data(), nb, w.head_out, ws->logits.data());
}

// `dhidden` (R x hidden, after forward_train with all_rows): start from the gradient of the
// last layer's output instead of the head's.
void backward(const EncoderWeights& w, const DropoutSpec& drop, TrainWorkspace* ws, EncoderGrads* g,
              const float* dhidden = nullptr) {
  const hf::EncoderConfig& c = w.config;
  const int e = c.embedding_size, h = c.hidden_size, f = c.intermediate_size, heads = c.num_heads;
  const int nb = ws->batch(), R = ws->rows();
  const std::vector<int>& off = ws->off;
  EncoderWeights& d = g->d;
  if (dhidden) {
    ws->dx.assign(dhidden, dhidden + static_cast<long>(R) * h);
  } else {
    // Head.
    std::vector<float>& dact = ws->tmp;
    dact.assign(static_cast<long>(nb) * h, 0.0f);
    linear_backward(ws->head_act_dropped.data(), nb, w.head_out, ws->dlogits.data(), dact.data(),
                    false, d.head_out.w.data(), d.head_out.b.data());
    dropout_backward(ws->head_keep_b, drop.classifier, dact.data(), static_cast<long>(nb) * h);
    if (w.head == HeadKind::kBertPooler) {
      for (long i = 0; i < static_cast<long>(nb) * h; ++i) dact[i] *= 1.0f - ws->head_act[i] * ws->head_act[i];
    } else {
      activation_backward(hf::Activation::kGeluErf, ws->head_pre.data(), dact.data(), dact.data(),
                          static_cast<long>(nb) * h);
    }
    // dx holds d(layer output) for the rows the layer computed.
    resize(&ws->dx, static_cast<long>(nb) * h);
    const float* head_input = w.head == HeadKind::kBertPooler ? ws->cls.data() : ws->head_in.data();
    linear_backward(head_input, nb, w.head_dense, dact.data(), ws->dx.data(), false,
                    d.head_dense.w.data(), d.head_dense.b.data());
    if (w.head != HeadKind::kBertPooler)
      dropout_backward(ws->head_keep_a, drop.classifier, ws->dx.data(), static_cast<long>(nb) * h);
  }

  for (size_t li = w.layers.size(); li-- > 0;) {
    const EncoderLayer& layer = w.layers[li];
    EncoderLayer& gl = d.layers[li];
    const LayerCache& lc = ws->layers[li];
    const int Q = lc.query_rows();
    const long qh = static_cast<long>(Q) * h;
    // LayerNorm 2: dx (Q x h) -> d(x1 + dropout(output(act)))
    resize(&ws->dh2, qh);
    layer_norm_backward(ws->dx.data(), lc.xhat2.data(), lc.inv2.data(), Q, h,
                        layer.ln2_gamma.data(), ws->dh2.data(), gl.ln2_gamma.data(), gl.ln2_beta.data());
    // dh1 = d(x1): the residual plus the FFN's input gradient.
    resize(&ws->dh1, qh);
    std::copy(ws->dh2.begin(), ws->dh2.begin() + qh, ws->dh1.begin());
    dropout_backward(lc.keep2, drop.hidden, ws->dh2.data(), qh);
    resize(&ws->dinter, static_cast<long>(Q) * f);
    linear_backward(lc.inter_act.data(), Q, layer.output, ws->dh2.data(), ws->dinter.data(), false,
                    gl.output.w.data(), gl.output.b.data());
    activation_backward(c.hidden_act, lc.inter_pre.data(), ws->dinter.data(), ws->dinter.data(),
                        static_cast<long>(Q) * f);
    linear_backward(lc.x1.data(), Q, layer.intermediate, ws->dinter.data(), ws->dh1.data(), true,
                    gl.intermediate.w.data(), gl.intermediate.b.data());
    // LayerNorm 1: dh1 -> d(x_in + dropout(attention_out(ctx))), in place.
    layer_norm_backward(ws->dh1.data(), lc.xhat1.data(), lc.inv1.data(), Q, h,
                        layer.ln1_gamma.data(), ws->dh1.data(), gl.ln1_gamma.data(), gl.ln1_beta.data());
    // d(x_in), R x h: the residual on the computed rows, plus the attention's input gradient.
    resize(&ws->dx_next, static_cast<long>(R) * h);
    std::fill(ws->dx_next.begin(), ws->dx_next.end(), 0.0f);
    for (int b = 0; b < nb; ++b) {
      const long n = static_cast<long>(lc.qoff[b + 1] - lc.qoff[b]) * h;
      std::copy(ws->dh1.begin() + static_cast<long>(lc.qoff[b]) * h,
                ws->dh1.begin() + static_cast<long>(lc.qoff[b]) * h + n,
                ws->dx_next.begin() + static_cast<long>(off[b]) * h);
    }
    dropout_backward(lc.keep1, drop.hidden, ws->dh1.data(), qh);
    resize(&ws->dctx, qh);
    linear_backward(lc.ctx.data(), Q, layer.attention_out, ws->dh1.data(), ws->dctx.data(), false,
                    gl.attention_out.w.data(), gl.attention_out.b.data());
    resize(&ws->dqkv, static_cast<long>(R) * 3 * h);
    for (int b = 0; b < nb; ++b) {
      const int len = off[b + 1] - off[b], rows = lc.qoff[b + 1] - lc.qoff[b];
      self_attention_backward(lc.qkv.data() + static_cast<long>(off[b]) * 3 * h, len, rows, h,
                              heads, lc.probs.data() + lc.poff[b],
                              lc.attn_keep.empty() ? nullptr : lc.attn_keep.data() + lc.poff[b],
                              drop.attention, ws->dctx.data() + static_cast<long>(lc.qoff[b]) * h,
                              ws->dqkv.data() + static_cast<long>(off[b]) * 3 * h);
    }
    linear_backward(lc.x_in.data(), R, layer.qkv, ws->dqkv.data(), ws->dx_next.data(), true,
                    gl.qkv.w.data(), gl.qkv.b.data());
    std::swap(ws->dx, ws->dx_next);
  }
  // Embeddings: dx is d(x_in of layer 0), R x h.
  resize(&ws->demb, static_cast<long>(R) * e);
  if (w.has_projection) {
    linear_backward(ws->emb_out.data(), R, w.projection, ws->dx.data(), ws->demb.data(), false,
                    d.projection.w.data(), d.projection.b.data());
  } else {
    std::copy(ws->dx.begin(), ws->dx.begin() + static_cast<long>(R) * e, ws->demb.begin());
  }
  float* de = ws->demb.data();
  dropout_backward(ws->emb_keep, drop.hidden, de, static_cast<long>(R) * e);
  layer_norm_backward(de, ws->emb_xhat.data(), ws->emb_inv.data(), R, e,
                      w.embedding_ln_gamma.data(), de, d.embedding_ln_gamma.data(),
                      d.embedding_ln_beta.data());
  for (int b = 0; b < nb; ++b) {
    const std::vector<int32_t>& ids = *ws->ids[b];
    for (int i = 0; i < off[b + 1] - off[b]; ++i) {
      const float* gi = de + static_cast<long>(off[b] + i) * e;
      float* pos = d.position_embeddings.data() + static_cast<long>(i) * e;
      float* type = d.token_type_embeddings.data();
      for (int j = 0; j < e; ++j) {
        pos[j] += gi[j];
        type[j] += gi[j];
      }
      const int32_t id = i < static_cast<int>(ids.size()) ? std::clamp<int32_t>(ids[i], 0, c.vocab_size - 1) : 0;
      // torch's nn.Embedding(padding_idx=pad_token_id) never updates the padding row.
      if (id == c.pad_token_id) continue;
      float* word = g->word.row(id);
      for (int j = 0; j < e; ++j) word[j] += gi[j];
    }
  }
}

// Losses of the chunk in ws (forward done): writes dlogits scaled by grad_scale.
double chunk_losses(TrainWorkspace* ws, const int* labels, int classes, float grad_scale,
                    float* losses) {
  const int nb = ws->batch();
  ws->dlogits.resize(static_cast<size_t>(nb) * classes);
  double sum = 0;
  for (int b = 0; b < nb; ++b) {
    const float l = softmax_cross_entropy(ws->logits.data() + static_cast<long>(b) * classes, classes,
                                          labels[b], grad_scale,
                                          ws->dlogits.data() + static_cast<long>(b) * classes);
    if (losses) losses[b] = l;
    sum += l;
  }
  return sum;
}

void set_single(TrainWorkspace* ws, const std::vector<int32_t>& ids, uint64_t key) {
  ws->ids.assign(1, &ids);
  ws->keys.assign(1, key);
}

}  // namespace

float forward_loss(const EncoderWeights& w, const std::vector<int32_t>& ids, int label,
                   const DropoutSpec& dropout, TrainWorkspace* ws, std::vector<float>* logits) {
  set_single(ws, ids, dropout.key);
  forward_train(w, dropout, ws);
  const float loss = static_cast<float>(
      chunk_losses(ws, &label, static_cast<int>(ws->logits.size()), 1.0f, nullptr));
  if (logits) *logits = ws->logits;
  return loss;
}

float forward_backward(const EncoderWeights& w, const std::vector<int32_t>& ids, int label,
                       float grad_scale, const DropoutSpec& dropout, TrainWorkspace* ws,
                       EncoderGrads* grads, std::vector<float>* logits) {
  set_single(ws, ids, dropout.key);
  forward_train(w, dropout, ws);
  const float loss = static_cast<float>(
      chunk_losses(ws, &label, static_cast<int>(ws->logits.size()), grad_scale, nullptr));
  if (logits) *logits = ws->logits;
  backward(w, dropout, ws, grads);
  return loss;
}

double forward_backward_chunk(const EncoderWeights& w,
                              const std::vector<const std::vector<int32_t>*>& ids,
                              const std::vector<int>& labels, const std::vector<uint64_t>& keys,
                              float grad_scale, const DropoutSpec& rates, TrainWorkspace* ws,
                              EncoderGrads* grads) {
  ws->ids = ids;
  ws->keys = keys;
  forward_train(w, rates, ws);
  const double loss = chunk_losses(ws, labels.data(), w.head_out.out, grad_scale, nullptr);
  backward(w, rates, ws, grads);
  return loss;
}

void forward_hidden(const EncoderWeights& w, const std::vector<const std::vector<int32_t>*>& ids,
                    const std::vector<uint64_t>& keys, const DropoutSpec& rates,
                    TrainWorkspace* ws, std::vector<float>* hidden, std::vector<int>* offsets) {
  ws->ids = ids;
  ws->keys = keys;
  forward_train(w, rates, ws, /*all_rows=*/true);
  hidden->assign(ws->cls.begin(), ws->cls.begin() + static_cast<long>(ws->rows()) * w.config.hidden_size);
  *offsets = ws->off;
}

void backward_hidden(const EncoderWeights& w, const DropoutSpec& rates, TrainWorkspace* ws,
                     const float* dhidden, EncoderGrads* grads) {
  backward(w, rates, ws, grads, dhidden);
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
