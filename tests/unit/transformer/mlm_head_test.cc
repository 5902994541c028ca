// The MLM head of pretraining (transformer/mlm_head.h) against central differences: every
// parameter of the head, the tied word table and the hidden states; and the head on top of a
// whole encoder (forward_hidden / backward_hidden) for a sample of the encoder's weights.
#include "transformer/mlm_head.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "train/pretrain.h"
#include "transformer/encoder_train.h"

namespace fenlei::transformer {
namespace {

hf::EncoderConfig small_config(int hidden, int embedding, int vocab) {
  hf::EncoderConfig c;
  c.model_type = "bert";
  c.vocab_size = vocab;
  c.hidden_size = hidden;
  c.embedding_size = embedding;
  c.initializer_range = 0.5f;
  c.layer_norm_eps = 1e-5f;
  return c;
}

void randomize(std::vector<float>* v, std::mt19937_64* rng, float sd) {
  std::normal_distribution<float> n(0.0f, sd);
  for (float& x : *v) x = n(*rng);
}

// Central difference of f at *x, restoring it.
double numeric(float* x, const std::function<double()>& f, float eps = 1e-2f) {
  const float keep = *x;
  *x = keep + eps;
  const double up = f();
  *x = keep - eps;
  const double down = f();
  *x = keep;
  return (up - down) / (2.0 * eps);
}

void expect_close(double analytic, double num, const std::string& what) {
  EXPECT_NEAR(analytic, num, 2e-3 + 2e-2 * std::fabs(num)) << what;
}

TEST(MlmHead, GradientsMatchCentralDifferences) {
  for (int embedding : {8, 5}) {  // BERT (embedding = hidden) and ELECTRA-like (smaller)
    const int hidden = 8, vocab = 13, len = 5;
    const hf::EncoderConfig c = small_config(hidden, embedding, vocab);
    MlmHead head = MlmHead::init(c, 3);
    std::mt19937_64 rng(11);
    randomize(&head.dense.b, &rng, 0.3f);
    randomize(&head.ln_gamma, &rng, 0.5f);
    for (float& g : head.ln_gamma) g += 1.0f;
    randomize(&head.ln_beta, &rng, 0.3f);
    randomize(&head.decoder_bias, &rng, 0.3f);
    std::vector<float> word(static_cast<size_t>(vocab) * embedding);
    randomize(&word, &rng, 0.7f);
    std::vector<float> hidden_states(static_cast<size_t>(len) * hidden);
    randomize(&hidden_states, &rng, 1.0f);
    const std::vector<int32_t> positions = {1, 3, 4}, targets = {7, 2, 7};
    const float scale = 0.5f;

    MlmWorkspace ws;
    MlmHeadGrads g = MlmHeadGrads::zeros_like(head, vocab);
    std::vector<float> dhidden(hidden_states.size());
    const MlmResult r = mlm_forward_backward(head, word, vocab, hidden_states.data(), len, hidden,
                                             positions, targets, scale, &ws, &g, dhidden.data());
    EXPECT_GT(r.loss, 0.0);
    auto loss = [&]() {
      MlmWorkspace w2;
      return scale * mlm_forward_backward(head, word, vocab, hidden_states.data(), len, hidden,
                                          positions, targets, 1.0f, &w2, nullptr, nullptr)
                         .loss;
    };
    const std::string at = "embedding " + std::to_string(embedding) + ": ";
    for (size_t i = 0; i < head.dense.w.size(); i += 3)
      expect_close(g.dense.w[i], numeric(&head.dense.w[i], loss), at + "dense.w " + std::to_string(i));
    for (size_t i = 0; i < head.dense.b.size(); ++i)
      expect_close(g.dense.b[i], numeric(&head.dense.b[i], loss), at + "dense.b");
    for (size_t i = 0; i < head.ln_gamma.size(); ++i) {
      expect_close(g.ln_gamma[i], numeric(&head.ln_gamma[i], loss), at + "ln_gamma");
      expect_close(g.ln_beta[i], numeric(&head.ln_beta[i], loss), at + "ln_beta");
    }
    for (int v = 0; v < vocab; ++v)
      expect_close(g.decoder_bias[v], numeric(&head.decoder_bias[v], loss), at + "decoder_bias");
    for (size_t i = 0; i < word.size(); ++i)
      expect_close(g.word[i], numeric(&word[i], loss), at + "tied word " + std::to_string(i));
    for (size_t i = 0; i < hidden_states.size(); ++i)
      expect_close(dhidden[i], numeric(&hidden_states[i], loss), at + "hidden " + std::to_string(i));
    // Rows of unmasked positions get no gradient.
    for (int j = 0; j < hidden; ++j) EXPECT_EQ(dhidden[static_cast<size_t>(2) * hidden + j], 0.0f);
  }
}

TEST(MlmHead, ThroughTheEncoderMatchesCentralDifferences) {
  auto config = train::pretrain_config("bert", "tiny");
  ASSERT_TRUE(config.ok());
  hf::EncoderConfig c = *config;
  c.vocab_size = 20;
  c.hidden_size = 8, c.embedding_size = 8, c.num_heads = 2, c.intermediate_size = 12;
  c.max_position_embeddings = 16;
  c.initializer_range = 0.3f;
  c.layer_norm_eps = 1e-5f;
  // A random encoder through the pretraining API's initialiser is internal; build one by hand.
  EncoderWeights w;
  w.config = c;
  std::mt19937_64 rng(5);
  auto lin = [&](int in, int out) {
    Linear l;
    l.in = in, l.out = out;
    l.w.resize(static_cast<size_t>(in) * out);
    l.b.resize(out);
    randomize(&l.w, &rng, 0.3f);
    randomize(&l.b, &rng, 0.1f);
    return l;
  };
  const int h = c.hidden_size;
  w.word_embeddings.resize(static_cast<size_t>(c.vocab_size) * h);
  w.position_embeddings.resize(static_cast<size_t>(c.max_position_embeddings) * h);
  w.token_type_embeddings.resize(static_cast<size_t>(2) * h);
  for (auto* v : {&w.word_embeddings, &w.position_embeddings, &w.token_type_embeddings})
    randomize(v, &rng, 0.5f);
  w.embedding_ln_gamma.assign(h, 1.0f);
  w.embedding_ln_beta.assign(h, 0.0f);
  for (int i = 0; i < 2; ++i) {
    EncoderLayer l;
    l.qkv = lin(h, 3 * h);
    l.attention_out = lin(h, h);
    l.ln1_gamma.assign(h, 1.0f);
    l.ln1_beta.assign(h, 0.0f);
    l.intermediate = lin(h, c.intermediate_size);
    l.output = lin(c.intermediate_size, h);
    l.ln2_gamma.assign(h, 1.0f);
    l.ln2_beta.assign(h, 0.0f);
    w.layers.push_back(std::move(l));
  }
  MlmHead head = MlmHead::init(c, 9);
  // A chunk of two texts of different lengths: the stacked rows, per-text offsets and the
  // last layer computing every position are all on the path.
  const std::vector<std::vector<int32_t>> texts = {{2, 7, 4, 9, 11, 3}, {2, 5, 8, 3}};
  const std::vector<std::vector<int32_t>> positions = {{2, 4}, {1, 2}}, targets = {{8, 11}, {7, 4}};
  const std::vector<const std::vector<int32_t>*> ids = {&texts[0], &texts[1]};
  const std::vector<uint64_t> keys = {1, 2};
  const DropoutSpec no_dropout;  // eval mode: the loss is a function of the weights

  TrainWorkspacePtr ws = make_train_workspace();
  EncoderGrads g = EncoderGrads::zeros_like(w);
  MlmHeadGrads hg = MlmHeadGrads::zeros_like(head, c.vocab_size);
  MlmWorkspace mws;
  std::vector<float> hidden;
  std::vector<int> offsets;
  forward_hidden(w, ids, keys, no_dropout, ws.get(), &hidden, &offsets);
  ASSERT_EQ(offsets, (std::vector<int>{0, 6, 10}));
  ASSERT_EQ(hidden.size(), static_cast<size_t>(10 * h));
  std::vector<float> dhidden(hidden.size());
  for (size_t b = 0; b < texts.size(); ++b)
    mlm_forward_backward(head, w.word_embeddings, c.vocab_size, hidden.data() + offsets[b] * h,
                         offsets[b + 1] - offsets[b], h, positions[b], targets[b], 1.0f, &mws, &hg,
                         dhidden.data() + offsets[b] * h);
  backward_hidden(w, no_dropout, ws.get(), dhidden.data(), &g);
  auto loss = [&]() {
    TrainWorkspacePtr w2 = make_train_workspace();
    std::vector<float> hs;
    std::vector<int> off;
    forward_hidden(w, ids, keys, no_dropout, w2.get(), &hs, &off);
    MlmWorkspace m2;
    double sum = 0;
    for (size_t b = 0; b < texts.size(); ++b)
      sum += mlm_forward_backward(head, w.word_embeddings, c.vocab_size, hs.data() + off[b] * h,
                                  off[b + 1] - off[b], h, positions[b], targets[b], 1.0f, &m2,
                                  nullptr, nullptr)
                 .loss;
    return sum;
  };
  // Word rows: the input path (sparse rows) plus the tied decoder (dense).
  for (int32_t id : {7, 9, 8, 0}) {
    for (int j = 0; j < h; j += 3) {
      const float* sparse = g.word.find(id);
      const double analytic = (sparse ? sparse[j] : 0.0) + hg.word[static_cast<size_t>(id) * h + j];
      expect_close(analytic, numeric(&w.word_embeddings[static_cast<size_t>(id) * h + j], loss),
                   "word " + std::to_string(id));
    }
  }
  for (size_t i = 0; i < w.layers[0].qkv.w.size(); i += 17)
    expect_close(g.d.layers[0].qkv.w[i], numeric(&w.layers[0].qkv.w[i], loss), "layer 0 qkv");
  for (size_t i = 0; i < w.layers[1].intermediate.w.size(); i += 7)
    expect_close(g.d.layers[1].intermediate.w[i], numeric(&w.layers[1].intermediate.w[i], loss),
                 "layer 1 intermediate");
  // Position 4 is in the first text only, position 1 in both.
  for (int p : {4, 1})
    for (int i = 0; i < h; ++i)
      expect_close(g.d.position_embeddings[static_cast<size_t>(p) * h + i],
                   numeric(&w.position_embeddings[static_cast<size_t>(p) * h + i], loss),
                   "position " + std::to_string(p));
}

}  // namespace
}  // namespace fenlei::transformer
