// Int8Model: quantisation error bounds, file round trip, and the int8 engine against the float
// engine on the same (random) network, for cnn and fasttext architectures.
#include "quant/int8_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "nn/network.h"

namespace fenlei::quant {
namespace {

nn::Network make_net(const std::string& preset, int classes, std::vector<int> hidden = {}) {
  auto cfg = nn::ModelConfig::preset(preset);
  EXPECT_TRUE(cfg.ok());
  cfg->vocab_size = 300;
  cfg->num_classes = classes;
  cfg->hidden = std::move(hidden);
  if (cfg->arch == nn::Arch::kFastText) cfg->bigram_buckets = 64;
  auto net = nn::Network::create(*cfg, 11);
  EXPECT_TRUE(net.ok()) << net.status().message();
  // Training moves a few rows far from the init; imitate that so scales differ per row.
  auto& embed = net->params()[net->embed_index()].data;
  for (size_t i = 0; i < 40 * size_t(cfg->embed_dim); ++i) embed[i] *= 8.0f;
  return std::move(*net);
}

nn::Batch random_batch(int n, int vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> tok(1, vocab - 1), len(0, 30);
  nn::Batch b;
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> t(size_t(len(rng)));
    for (auto& v : t) v = tok(rng);
    b.add(t);
  }
  return b;
}

void expect_close_to_float(const nn::Network& net, const QuantizeOptions& options, float tol) {
  auto q = Int8Model::quantize(net, options);
  ASSERT_TRUE(q.ok()) << q.status().message();
  const nn::Batch batch = random_batch(40, int(net.config().vocab_size), 5);
  const int c = net.num_classes();
  std::vector<float> pf(batch.size() * size_t(c)), pq(pf.size());
  nn::Workspace wsf;
  nn::predict_proba(net, batch, wsf, pf.data());
  Int8Workspace wsq;
  predict_proba_int8(*q, batch, wsq, pq.data());
  float worst = 0;
  for (size_t i = 0; i < pf.size(); ++i) worst = std::max(worst, std::fabs(pf[i] - pq[i]));
  EXPECT_LT(worst, tol);
  for (size_t i = 0; i < batch.size(); ++i) {
    float sum = 0;
    for (int j = 0; j < c; ++j) sum += pq[i * size_t(c) + size_t(j)];
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
  }
}

TEST(Int8Model, CnnMatchesFloatClosely) {
  const nn::Network net = make_net("seed-cnn", 2);
  expect_close_to_float(net, {}, 0.02f);
  expect_close_to_float(net, {true, true}, 0.02f);
  expect_close_to_float(net, {false, false}, 0.03f);
}

TEST(Int8Model, MultiWidthSoftmaxWithHiddenLayers) {
  const nn::Network net = make_net("textcnn", 4, {32});
  expect_close_to_float(net, {}, 0.02f);
  expect_close_to_float(net, {true, true}, 0.02f);
}

TEST(Int8Model, FastTextWithBigrams) {
  const nn::Network net = make_net("fasttext", 3, {16});
  expect_close_to_float(net, {}, 0.02f);
  expect_close_to_float(net, {true, true}, 0.02f);
}

TEST(Int8Model, WeightErrorIsAtMostHalfAStep) {
  const nn::Network net = make_net("seed-cnn", 3);
  auto q = Int8Model::quantize(net, {true, true});
  ASSERT_TRUE(q.ok());
  auto deq = q->dequantize();
  ASSERT_TRUE(deq.ok());
  const auto& w = net.params()[net.conv_layers()[0].weight];
  const auto& wd = deq->params()[deq->conv_layers()[0].weight];
  const Int8Linear& l = q->conv()[0];
  for (int64_t r = 0; r < w.rows(); ++r)
    for (int64_t c = 0; c < w.cols(); ++c) {
      const size_t i = size_t(r * w.cols() + c);
      EXPECT_LE(std::fabs(w.data[i] - wd.data[i]), 0.5f * l.scale[size_t(r)] * 1.0001f);
    }
  // amax maps to exactly +-127 in every channel.
  for (int r = 0; r < l.out; ++r) {
    int m = 0;
    for (int c = 0; c < l.in; ++c) m = std::max(m, std::abs(int(l.q[size_t(r * l.in + c)])));
    EXPECT_EQ(m, 127);
  }
}

TEST(Int8Model, TensorRoundTripGivesIdenticalOutputs) {
  for (bool per_row : {false, true}) {
    const nn::Network net = make_net("textcnn", 2);
    auto q = Int8Model::quantize(net, {true, per_row});
    ASSERT_TRUE(q.ok());
    auto back = Int8Model::from_tensors(net.config(), q->to_tensors(), "m");
    ASSERT_TRUE(back.ok()) << back.status().message();
    const nn::Batch batch = random_batch(10, 300, 9);
    std::vector<float> a(20), b(20);
    Int8Workspace ws;
    predict_proba_int8(*q, batch, ws, a.data());
    predict_proba_int8(*back, batch, ws, b.data());
    EXPECT_EQ(a, b);
  }
}

TEST(Int8Model, FromTensorsRejectsFloatWeightsAndBadShapes) {
  const nn::Network net = make_net("seed-cnn", 2);
  auto q = Int8Model::quantize(net, {});
  ASSERT_TRUE(q.ok());
  auto tensors = q->to_tensors();
  auto bad = tensors;
  bad[0] = format::make_f32_tensor("embed/weight", {300, 16}, std::vector<float>(300 * 16));
  auto r = Int8Model::from_tensors(net.config(), bad, "m.fenlei");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected i8"), std::string::npos) << r.status().message();
  bad = tensors;
  bad.pop_back();
  EXPECT_FALSE(Int8Model::from_tensors(net.config(), bad, "m").ok());
  bad = tensors;
  bad.push_back(format::make_f32_tensor("extra/bias", {1}, {0.0f}));
  EXPECT_FALSE(Int8Model::from_tensors(net.config(), bad, "m").ok());
}

TEST(Int8Model, RejectsNonFiniteWeights) {
  nn::Network net = make_net("seed-cnn", 2);
  net.params()[net.conv_layers()[0].weight].data[3] = std::nanf("");
  auto q = Int8Model::quantize(net, {});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("conv5/weight"), std::string::npos);
}

}  // namespace
}  // namespace fenlei::quant
