#include "transformer/mlm_head.h"

#include <cblas.h>

#include <algorithm>
#include <random>

#include "transformer/train_layers.h"

namespace fenlei::transformer {

MlmHead MlmHead::init(const hf::EncoderConfig& c, uint64_t seed) {
  MlmHead h;
  const int e = c.embedding_size, hidden = c.hidden_size;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, c.initializer_range);
  h.dense.in = hidden;
  h.dense.out = e;
  h.dense.w.resize(static_cast<size_t>(hidden) * e);
  for (float& v : h.dense.w) v = normal(rng);
  h.dense.b.assign(e, 0.0f);
  h.activation = c.hidden_act;
  h.layer_norm_eps = c.layer_norm_eps;
  h.ln_gamma.assign(e, 1.0f);
  h.ln_beta.assign(e, 0.0f);
  h.decoder_bias.assign(c.vocab_size, 0.0f);
  return h;
}

MlmHeadGrads MlmHeadGrads::zeros_like(const MlmHead& head, int vocab_size) {
  MlmHeadGrads g;
  g.dense = head.dense;
  std::fill(g.dense.w.begin(), g.dense.w.end(), 0.0f);
  std::fill(g.dense.b.begin(), g.dense.b.end(), 0.0f);
  g.ln_gamma.assign(head.ln_gamma.size(), 0.0f);
  g.ln_beta.assign(head.ln_beta.size(), 0.0f);
  g.decoder_bias.assign(head.decoder_bias.size(), 0.0f);
  g.word.assign(static_cast<size_t>(vocab_size) * head.dense.out, 0.0f);
  return g;
}

namespace {
template <typename Fn>
void for_each(MlmHeadGrads* g, Fn fn) {
  for (auto* v : {&g->dense.w, &g->dense.b, &g->ln_gamma, &g->ln_beta, &g->decoder_bias, &g->word})
    fn(v);
}
}  // namespace

void MlmHeadGrads::clear() {
  for_each(this, [](std::vector<float>* v) { std::fill(v->begin(), v->end(), 0.0f); });
}

void MlmHeadGrads::add(const MlmHeadGrads& other) {
  std::vector<const std::vector<float>*> theirs;
  for_each(const_cast<MlmHeadGrads*>(&other), [&](std::vector<float>* v) { theirs.push_back(v); });
  size_t t = 0;
  for_each(this, [&](std::vector<float>* v) {
    const float* b = theirs[t++]->data();
    for (size_t i = 0; i < v->size(); ++i) (*v)[i] += b[i];
  });
}

void MlmHeadGrads::scale(float s) {
  for_each(this, [&](std::vector<float>* v) {
    for (float& x : *v) x *= s;
  });
}

double MlmHeadGrads::squared_norm() const {
  double sum = 0;
  for_each(const_cast<MlmHeadGrads*>(this), [&](std::vector<float>* v) {
    for (float x : *v) sum += double(x) * x;
  });
  return sum;
}

MlmResult mlm_forward_backward(const MlmHead& head, const std::vector<float>& word_embeddings,
                               int vocab, const float* hidden, int len, int h,
                               const std::vector<int32_t>& positions,
                               const std::vector<int32_t>& targets, float grad_scale,
                               MlmWorkspace* ws, MlmHeadGrads* grads, float* dhidden) {
  MlmResult r;
  const int m = static_cast<int>(positions.size());
  const int e = head.dense.out;
  if (grads) std::fill(dhidden, dhidden + static_cast<long>(len) * h, 0.0f);
  if (m == 0) return r;
  ws->x.resize(static_cast<size_t>(m) * h);
  for (int i = 0; i < m; ++i)
    std::copy(hidden + static_cast<long>(positions[i]) * h,
              hidden + static_cast<long>(positions[i] + 1) * h, ws->x.begin() + static_cast<long>(i) * h);
  const long me = static_cast<long>(m) * e;
  ws->pre.resize(me);
  ws->act.resize(me);
  ws->t.resize(me);
  ws->xhat.resize(me);
  ws->inv.resize(m);
  linear(ws->x.data(), m, head.dense, ws->pre.data());
  std::copy(ws->pre.begin(), ws->pre.end(), ws->act.begin());
  activate(head.activation, ws->act.data(), me);
  layer_norm_train(ws->act.data(), m, e, head.ln_gamma.data(), head.ln_beta.data(),
                   head.layer_norm_eps, ws->t.data(), ws->xhat.data(), ws->inv.data());
  // logits = t E^T + bias (m x vocab).
  const long mv = static_cast<long>(m) * vocab;
  ws->logits.resize(mv);
  ws->dlogits.resize(mv);
  for (int i = 0; i < m; ++i)
    std::copy(head.decoder_bias.begin(), head.decoder_bias.end(),
              ws->logits.begin() + static_cast<long>(i) * vocab);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, vocab, e, 1.0f, ws->t.data(), e,
              word_embeddings.data(), e, 1.0f, ws->logits.data(), vocab);
  for (int i = 0; i < m; ++i) {
    const float* row = ws->logits.data() + static_cast<long>(i) * vocab;
    r.loss += softmax_cross_entropy(row, vocab, targets[i], grad_scale,
                                    ws->dlogits.data() + static_cast<long>(i) * vocab);
    r.correct += static_cast<int>(std::max_element(row, row + vocab) - row) == targets[i];
  }
  if (!grads) return r;
  // Decoder: dbias += column sums, dE += dlogits^T t, dt = dlogits E.
  for (int i = 0; i < m; ++i) {
    const float* dl = ws->dlogits.data() + static_cast<long>(i) * vocab;
    for (int v = 0; v < vocab; ++v) grads->decoder_bias[v] += dl[v];
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, vocab, e, m, 1.0f, ws->dlogits.data(), vocab,
              ws->t.data(), e, 1.0f, grads->word.data(), e);
  ws->dt.resize(me);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, e, vocab, 1.0f, ws->dlogits.data(),
              vocab, word_embeddings.data(), e, 0.0f, ws->dt.data(), e);
  layer_norm_backward(ws->dt.data(), ws->xhat.data(), ws->inv.data(), m, e, head.ln_gamma.data(),
                      ws->dt.data(), grads->ln_gamma.data(), grads->ln_beta.data());
  activation_backward(head.activation, ws->pre.data(), ws->dt.data(), ws->dt.data(), me);
  ws->dx.resize(static_cast<size_t>(m) * h);
  linear_backward(ws->x.data(), m, head.dense, ws->dt.data(), ws->dx.data(), false,
                  grads->dense.w.data(), grads->dense.b.data());
  for (int i = 0; i < m; ++i) {
    float* dst = dhidden + static_cast<long>(positions[i]) * h;
    const float* src = ws->dx.data() + static_cast<long>(i) * h;
    for (int j = 0; j < h; ++j) dst[j] += src[j];
  }
  return r;
}

}  // namespace fenlei::transformer
