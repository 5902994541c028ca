// The whole encoder's backward pass (BERT with pooler, ELECTRA with embeddings_project and its
// head; with and without dropout) against central differences of its own training forward.
#include "transformer/encoder_train.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "transformer/train_layers.h"

namespace fenlei::transformer {
namespace {

hf::EncoderConfig tiny_config(const std::string& type) {
  hf::EncoderConfig c;
  c.model_type = type;
  c.vocab_size = 30;
  c.hidden_size = 8;
  c.embedding_size = type == "electra" ? 6 : 8;
  c.num_layers = 2;
  c.num_heads = 2;
  c.intermediate_size = 12;
  c.max_position_embeddings = 16;
  c.type_vocab_size = 2;
  c.pad_token_id = 0;
  c.layer_norm_eps = 1e-5f;
  c.hidden_act = type == "electra" ? hf::Activation::kGeluTanh : hf::Activation::kGeluErf;
  c.hidden_act_name = type == "electra" ? "gelu_new" : "gelu";
  c.hidden_dropout_prob = 0.2f;
  c.attention_probs_dropout_prob = 0.3f;
  c.initializer_range = 0.5f;
  return c;
}

EncoderWeights random_encoder(const hf::EncoderConfig& c, int labels, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.5f);
  auto vec = [&](size_t size, float mean = 0.0f) {
    std::vector<float> v(size);
    for (float& x : v) x = mean + n(rng);
    return v;
  };
  auto lin = [&](int in, int out) { return Linear{in, out, vec(size_t(in) * out), vec(out)}; };
  const int e = c.embedding_size, h = c.hidden_size;
  EncoderWeights w;
  w.config = c;
  w.word_embeddings = vec(size_t(c.vocab_size) * e);
  w.position_embeddings = vec(size_t(c.max_position_embeddings) * e);
  w.token_type_embeddings = vec(size_t(c.type_vocab_size) * e);
  w.embedding_ln_gamma = vec(e, 1.0f);
  w.embedding_ln_beta = vec(e);
  if (e != h) {
    w.has_projection = true;
    w.projection = lin(e, h);
  }
  for (int l = 0; l < c.num_layers; ++l) {
    EncoderLayer layer;
    layer.qkv = lin(h, 3 * h);
    layer.attention_out = lin(h, h);
    layer.ln1_gamma = vec(h, 1.0f);
    layer.ln1_beta = vec(h);
    layer.intermediate = lin(h, c.intermediate_size);
    layer.output = lin(c.intermediate_size, h);
    layer.ln2_gamma = vec(h, 1.0f);
    layer.ln2_beta = vec(h);
    w.layers.push_back(layer);
  }
  init_head(&w, labels, seed, /*keep_pooler=*/false);
  for (float& b : w.head_out.b) b = n(rng);
  return w;
}

// Checks every tensor's analytic gradient (a few entries each, the largest among them) against
// central differences of forward_loss.
void check_gradients(EncoderWeights w, const DropoutSpec& drop) {
  const std::vector<int32_t> ids = {2, 7, 0, 7, 19, 3};  // id 0 is the padding row
  const int label = 1;
  auto ws = make_train_workspace();
  EncoderGrads g = EncoderGrads::zeros_like(w);
  std::vector<float> logits;
  const float loss = forward_backward(w, ids, label, 1.0f, drop, ws.get(), &g, &logits);
  EXPECT_NEAR(loss, forward_loss(w, ids, label, drop, ws.get(), nullptr), 1e-6);
  // The word table's gradient lives in g.word; view it densely for the comparison.
  std::vector<float> word_dense(w.word_embeddings.size(), 0.0f);
  for (size_t r = 0; r < g.word.rows.size(); ++r)
    std::copy(g.word.values.begin() + r * g.word.dim, g.word.values.begin() + (r + 1) * g.word.dim,
              word_dense.begin() + long(g.word.rows[r]) * g.word.dim);
  EXPECT_EQ(g.word.find(0), nullptr) << "the padding row must get no gradient";
  EXPECT_EQ(g.word.rows.size(), 4u);  // 2, 7, 19, 3 (7 twice)
  g.d.word_embeddings = word_dense;
  std::vector<ParamView> params = param_views(&w), grads = param_views(&g.d);
  ASSERT_EQ(params.size(), grads.size());
  std::mt19937 rng(11);
  int checked = 0;
  for (size_t t = 0; t < params.size(); ++t) {
    ASSERT_EQ(params[t].size, grads[t].size) << params[t].name;
    std::vector<long> idx;
    long best = 0;
    for (long i = 0; i < grads[t].size; ++i)
      if (std::fabs(grads[t].data[i]) > std::fabs(grads[t].data[best])) best = i;
    idx.push_back(best);
    for (int k = 0; k < 4; ++k) idx.push_back(static_cast<long>(rng() % grads[t].size));
    for (long i : idx) {
      // The padding row is frozen on purpose (torch's padding_idx), whatever its true gradient.
      if (t == 0 && i < w.config.embedding_size) continue;
      float* v = params[t].data + i;
      const float orig = *v;
      const double eps = 3e-3;
      *v = static_cast<float>(orig + eps);
      const double up = forward_loss(w, ids, label, drop, ws.get(), nullptr);
      const double du = double(*v) - orig;
      *v = static_cast<float>(orig - eps);
      const double down = forward_loss(w, ids, label, drop, ws.get(), nullptr);
      const double dd = orig - double(*v);
      *v = orig;
      const double numeric = (up - down) / (du + dd);
      const double analytic = grads[t].data[i];
      EXPECT_NEAR(analytic, numeric, 2e-3 + 3e-2 * std::fabs(numeric))
          << params[t].name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(EncoderTrain, BertGradientsMatchNumerical) {
  check_gradients(random_encoder(tiny_config("bert"), 3, 1), DropoutSpec{});
}

TEST(EncoderTrain, ElectraGradientsMatchNumerical) {
  check_gradients(random_encoder(tiny_config("electra"), 2, 2), DropoutSpec{});
}

TEST(EncoderTrain, GradientsWithDropoutMatchNumerical) {
  for (const char* type : {"bert", "electra"}) {
    const hf::EncoderConfig c = tiny_config(type);
    DropoutSpec drop = DropoutSpec::from_config(c);
    drop.key = 1234;
    check_gradients(random_encoder(c, 3, 3), drop);
  }
}

TEST(EncoderTrain, EvalForwardMatchesInference) {
  for (const char* type : {"bert", "electra"}) {
    EncoderWeights w = random_encoder(tiny_config(type), 3, 4);
    const std::vector<int32_t> ids = {1, 5, 9, 2};
    auto ws = make_train_workspace();
    std::vector<float> logits;
    forward_loss(w, ids, 0, DropoutSpec{}, ws.get(), &logits);
    const std::vector<float> ref = classify_logits_ref(w, ids);
    ASSERT_EQ(logits.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(logits[i], ref[i], 1e-4) << type;
  }
}

TEST(EncoderTrain, DropoutDependsOnlyOnItsKey) {
  const hf::EncoderConfig c = tiny_config("bert");
  EncoderWeights w = random_encoder(c, 2, 5);
  const std::vector<int32_t> ids = {1, 5, 9, 2};
  DropoutSpec a = DropoutSpec::from_config(c), b = a;
  a.key = 1;
  b.key = 2;
  auto ws = make_train_workspace();
  std::vector<float> la, la2, lb, eval;
  forward_loss(w, ids, 0, a, ws.get(), &la);
  forward_loss(w, ids, 0, b, ws.get(), &lb);
  forward_loss(w, ids, 0, a, ws.get(), &la2);
  forward_loss(w, ids, 0, DropoutSpec{}, ws.get(), &eval);
  EXPECT_EQ(la, la2);
  EXPECT_NE(la, lb);
  EXPECT_NE(la, eval);
}

TEST(EncoderTrain, ChunkEqualsTheSumOfItsExamples) {
  for (const char* type : {"bert", "electra"}) {
    const hf::EncoderConfig c = tiny_config(type);
    EncoderWeights w = random_encoder(c, 3, 8);
    const std::vector<std::vector<int32_t>> ids = {{1, 4, 2}, {1, 9, 9, 7, 11, 2}, {3}};
    const std::vector<int> labels = {0, 2, 1};
    const std::vector<uint64_t> keys = {5, 6, 7};
    DropoutSpec rates = DropoutSpec::from_config(c);
    auto ws = make_train_workspace();
    EncoderGrads one_by_one = EncoderGrads::zeros_like(w), chunk = EncoderGrads::zeros_like(w);
    double sum = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      DropoutSpec d = rates;
      d.key = keys[i];
      sum += forward_backward(w, ids[i], labels[i], 0.5f, d, ws.get(), &one_by_one, nullptr);
    }
    std::vector<const std::vector<int32_t>*> ptrs = {&ids[0], &ids[1], &ids[2]};
    const double chunk_sum =
        forward_backward_chunk(w, ptrs, labels, keys, 0.5f, rates, ws.get(), &chunk);
    EXPECT_NEAR(chunk_sum, sum, 1e-5 * sum) << type;
    EXPECT_EQ(chunk.word.rows, one_by_one.word.rows);
    std::vector<ParamView> a = param_views(&chunk.d), b = param_views(&one_by_one.d);
    for (size_t t = 1; t < a.size(); ++t)
      for (long i = 0; i < a[t].size; ++i)
        ASSERT_NEAR(a[t].data[i], b[t].data[i], 1e-5 + 1e-4 * std::fabs(b[t].data[i]))
            << type << " " << a[t].name << "[" << i << "]";
    for (size_t i = 0; i < chunk.word.values.size(); ++i)
      ASSERT_NEAR(chunk.word.values[i], one_by_one.word.values[i], 1e-5);
  }
}

TEST(EncoderTrain, GradsAddScaleAndNorm) {
  EncoderWeights w = random_encoder(tiny_config("bert"), 2, 6);
  auto ws = make_train_workspace();
  EncoderGrads a = EncoderGrads::zeros_like(w), b = EncoderGrads::zeros_like(w),
               both = EncoderGrads::zeros_like(w);
  forward_backward(w, {1, 4, 2}, 0, 1.0f, DropoutSpec{}, ws.get(), &a, nullptr);
  forward_backward(w, {1, 9, 9, 2}, 1, 1.0f, DropoutSpec{}, ws.get(), &b, nullptr);
  forward_backward(w, {1, 4, 2}, 0, 1.0f, DropoutSpec{}, ws.get(), &both, nullptr);
  forward_backward(w, {1, 9, 9, 2}, 1, 1.0f, DropoutSpec{}, ws.get(), &both, nullptr);
  a.add(b);
  EXPECT_NEAR(a.squared_norm(), both.squared_norm(), 1e-5 * both.squared_norm());
  EXPECT_EQ(a.word.rows, both.word.rows);
  a.scale(0.5f);
  EXPECT_NEAR(a.squared_norm(), 0.25 * both.squared_norm(), 1e-5 * both.squared_norm());
  a.clear();
  EXPECT_EQ(a.squared_norm(), 0.0);
  EXPECT_TRUE(a.word.rows.empty());
}

}  // namespace
}  // namespace fenlei::transformer
