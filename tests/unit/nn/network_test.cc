// Whole-network tests: gradient checks of forward_backward for every architecture, ragged
// batches vs single examples, thread splits, determinism, inference, and learning a toy task.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "network_checks.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "test_util.h"

namespace fenlei::nn {
namespace {

using testing::random_batch;

ModelConfig tiny(const std::string& preset, int classes) {
  ModelConfig c = *ModelConfig::preset(preset);
  c.vocab_size = 11;
  c.num_classes = classes;
  c.embed_dim = 4;
  if (c.arch == Arch::kCnn) {
    c.filters = 3;
    c.widths = preset == "seed-cnn" ? std::vector<int>{3} : std::vector<int>{2, 3};
  }
  return c;
}

void grad_check_network(const ModelConfig& c, bool train) {
  auto net_or = Network::create(c, 5);
  ASSERT_TRUE(net_or.ok()) << net_or.status().to_string();
  Network net = std::move(net_or).value();
  // Larger weights than the init so that signals are not tiny.
  std::mt19937 gen(3);
  for (Tensor& t : net.params())
    for (float& x : t.data) x *= 4.0f;
  Batch b = random_batch(6, 11, c.num_classes, 7, gen);
  b.ids.insert(b.ids.end(), {});  // keep last example possibly empty
  testing::check_network_grads(net, b, train, 3e-3);
}

TEST(NetworkGrad, SeedCnnSigmoid) { grad_check_network(tiny("seed-cnn", 2), false); }

TEST(NetworkGrad, TextCnnSoftmaxWithDropoutAndHidden) {
  ModelConfig c = tiny("textcnn", 3);
  c.hidden = {5};
  c.activation = Activation::kTanh;
  c.dropout = 0.3f;
  grad_check_network(c, true);  // masks are a pure function of (seed, step, example): fixed
}

TEST(NetworkGrad, GeluHiddenLayers) {
  ModelConfig c = tiny("seed-cnn", 4);
  c.hidden = {5, 4};
  c.activation = Activation::kGelu;
  grad_check_network(c, false);
}

TEST(NetworkGrad, FastTextWithBigrams) {
  ModelConfig c = tiny("fasttext", 3);
  c.bigram_buckets = 13;
  grad_check_network(c, false);
}

TEST(NetworkGrad, FastTextSigmoidNoBigrams) {
  ModelConfig c = tiny("fasttext", 2);
  c.output = Output::kAuto;
  grad_check_network(c, false);
}

TEST(NetworkGrad, MeanLossReductionMatchesKeras) {
  // The accumulated gradient is that of sum(w_i * loss_i) / batch_size.
  ModelConfig c = tiny("seed-cnn", 2);
  Network net = *Network::create(c, 1);
  std::mt19937 gen(1);
  Batch b = random_batch(4, 11, 2, 6, gen);
  Workspace ws;
  Grads g1 = net.make_grads(), g2 = net.make_grads();
  Rng rng(0);
  forward_backward(net, b, 0, 4, ws, g1, rng, false);
  for (float& w : b.weights) w *= 2.0f;
  forward_backward(net, b, 0, 4, ws, g2, rng, false);
  g1.scale(2.0f);
  for (int i = 0; i < g1.size(); ++i)
    fenlei::testing::expect_array_near(g2.dense(i), g1.dense(i), 1e-6);
}

class NetworkAllArchs : public ::testing::TestWithParam<const char*> {};

TEST_P(NetworkAllArchs, RaggedBatchEqualsPerExample) {
  ModelConfig c = *ModelConfig::preset(GetParam());
  c.vocab_size = 50;
  c.num_classes = 3;
  if (c.arch == Arch::kFastText) c.bigram_buckets = 40;
  Network net = *Network::create(c, 2);
  std::mt19937 gen(4);
  Batch b = random_batch(9, 50, 3, 30, gen);
  b.offsets.push_back(b.offsets.back());  // plus an empty text
  b.labels.push_back(0);
  b.weights.push_back(1.0f);
  Workspace ws;
  std::vector<float> all(b.size() * 3);
  predict_proba(net, b, ws, all.data());
  for (size_t i = 0; i < b.size(); ++i) {
    Batch one;
    one.add(b.ids.data() + b.offsets[i], b.length(i), b.labels[i]);
    float p[3];
    predict_proba(net, one, ws, p);
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-5);
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(all[i * 3 + k], p[k], 1e-5) << "example " << i;
  }
}

TEST_P(NetworkAllArchs, TwoThreadSplitEqualsOneThread) {
  ModelConfig c = *ModelConfig::preset(GetParam());
  c.vocab_size = 60;
  c.num_classes = 2;
  c.hidden = {8};
  if (c.arch == Arch::kFastText) c.bigram_buckets = 40;
  Network net = *Network::create(c, 3);
  std::mt19937 gen(5);
  Batch b = random_batch(13, 60, 2, 40, gen);
  testing::expect_split_equals_whole(net, b, 6, 1e-6);
}

TEST_P(NetworkAllArchs, DeterministicRunToRun) {
  ModelConfig c = *ModelConfig::preset(GetParam());
  c.vocab_size = 40;
  c.num_classes = 3;
  if (c.arch == Arch::kFastText) c.bigram_buckets = 20;
  testing::expect_identical_params(testing::train_three_steps(c), testing::train_three_steps(c));
}

TEST_P(NetworkAllArchs, LearnsToySeparableProblem) {
  // Class = which half of the vocabulary the text's words come from (mixed with noise words).
  ModelConfig c = *ModelConfig::preset(GetParam());
  c.vocab_size = 30;
  c.num_classes = 2;
  if (c.arch == Arch::kFastText) c.bigram_buckets = 50;
  if (c.arch == Arch::kCnn) {  // keep it fast
    c.embed_dim = 8;
    c.filters = 16;
  } else {
    c.embed_dim = 16;
  }
  Network net = *Network::create(c, 11);
  Optimizer opt = *Optimizer::create(OptimizerConfig{}, net.params());
  std::mt19937 gen(7);
  auto make = [&](int n) {
    Batch b;
    std::uniform_int_distribution<int> len_d(1, 12), cls(0, 1), word(0, 9), noise(22, 29),
        coin(0, 2);
    for (int i = 0; i < n; ++i) {
      const int y = cls(gen);
      std::vector<int32_t> t(len_d(gen));
      for (auto& x : t) x = coin(gen) == 0 ? noise(gen) : 2 + y * 10 + word(gen);
      t[len_d(gen) % t.size()] = 2 + y * 10 + word(gen);  // at least one informative word
      b.add(t, y);
    }
    return b;
  };
  Workspace ws;
  Grads g = net.make_grads();
  Rng rng(3);
  for (int step = 0; step < 300; ++step) {
    Batch b = make(32);
    g.zero();
    rng.set_step(step);
    forward_backward(net, b, 0, b.size(), ws, g, rng, true);
    opt.step(net.params(), g, 1e-2f);
  }
  Batch test = make(400);
  std::vector<float> p(test.size() * 2);
  predict_proba(net, test, ws, p.data());
  int correct = 0;
  for (size_t i = 0; i < test.size(); ++i) correct += (p[i * 2 + 1] > p[i * 2]) == (test.labels[i] == 1);
  EXPECT_GE(correct, 390) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Presets, NetworkAllArchs,
                         ::testing::Values("seed-cnn", "textcnn", "fasttext"));

TEST(Network, EmptyAndShortTextsWork) {
  ModelConfig c = *ModelConfig::preset("textcnn");
  c.vocab_size = 10;
  c.num_classes = 2;
  Network net = *Network::create(c, 1);
  Batch b;
  b.add(std::vector<int32_t>{}, 0);
  b.add(std::vector<int32_t>{3}, 1);
  b.add(std::vector<int32_t>{3, 4}, 1);
  Workspace ws;
  float p[6];
  predict_proba(net, b, ws, p);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(p[2 * i] + p[2 * i + 1], 1.0f, 1e-6);
  Grads g = net.make_grads();
  const double loss = forward_backward(net, b, 0, 3, ws, g, Rng(1), true);
  EXPECT_TRUE(std::isfinite(loss));
  // Pad row 0 is where the empty text's gradient goes.
  const auto& rows = g.touched_rows(net.embed_index());
  EXPECT_NE(std::find(rows.begin(), rows.end(), 0), rows.end());
}

TEST(Network, ParameterNamesAndShapes) {
  ModelConfig c = *ModelConfig::preset("textcnn");
  c.vocab_size = 100;
  c.num_classes = 4;
  c.hidden = {32};
  Network net = *Network::create(c, 1);
  std::vector<std::string> names;
  for (const Tensor& t : net.params()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"embed/weight", "conv3/weight", "conv3/bias",
                                             "conv4/weight", "conv4/bias", "conv5/weight",
                                             "conv5/bias", "fc1/weight", "fc1/bias", "out/weight",
                                             "out/bias"}));
  EXPECT_EQ(net.params().find("conv4/weight")->shape, (std::vector<int64_t>{100, 4 * 128}));
  EXPECT_EQ(net.params().find("out/weight")->shape, (std::vector<int64_t>{4, 32}));
  // Keras initialisers: embedding within 0.05, glorot limit for conv, zero bias.
  for (float x : net.params().find("embed/weight")->data) EXPECT_LE(std::fabs(x), 0.05f);
  const float lim = std::sqrt(6.0f / (4 * 128 + 4 * 100));
  for (float x : net.params().find("conv4/weight")->data) EXPECT_LE(std::fabs(x), lim);
  for (float x : net.params().find("conv4/bias")->data) EXPECT_EQ(x, 0.0f);

  // from_params round trip and shape errors.
  auto again = Network::from_params(c, net.params());
  ASSERT_TRUE(again.ok());
  Params wrong = net.params();
  wrong.find("fc1/bias")->shape = {31};
  auto bad = Network::from_params(c, wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fc1/bias"), std::string::npos);
}

TEST(Network, ValidateBatchRejectsBadInput) {
  ModelConfig c = *ModelConfig::preset("seed-cnn");
  c.vocab_size = 10;
  c.num_classes = 2;
  Network net = *Network::create(c, 1);
  Batch b;
  b.add(std::vector<int32_t>{1, 10}, 0);
  EXPECT_FALSE(net.validate_batch(b, true).ok());
  b.clear();
  b.add(std::vector<int32_t>{1, 2}, 2);
  EXPECT_FALSE(net.validate_batch(b, true).ok());
  EXPECT_TRUE(net.validate_batch(b, false).ok());
  b.weights[0] = -1.0f;
  EXPECT_FALSE(net.validate_batch(b, false).ok());
}

}  // namespace
}  // namespace fenlei::nn
