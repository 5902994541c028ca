// The distillation losses (soft targets at a temperature): gradients match finite differences,
// a one-hot target at T = 1 is the hard-label loss, the sigmoid form is the two-class softmax
// form, and a network trained through a Batch's soft targets gets exactly those gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "grad_check.h"
#include "nn/loss.h"
#include "nn/network.h"
#include "nn/rng.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

using testing::check_grad;
using testing::random_vec;

std::vector<float> random_distribution(int classes, std::mt19937& gen) {
  std::vector<float> t = random_vec(size_t(classes), gen, 0.05f, 1.0f);
  float sum = 0;
  for (float x : t) sum += x;
  for (float& x : t) x /= sum;
  return t;
}

TEST(SoftTargetLoss, SoftmaxGradientMatchesFiniteDifferences) {
  std::mt19937 gen(3);
  for (float temperature : {0.5f, 1.0f, 2.0f, 5.0f}) {
    std::vector<float> z = random_vec(5, gen, -3.0f, 3.0f);
    const std::vector<float> t = random_distribution(5, gen);
    std::vector<float> dz(5, 0.0f);
    soft_softmax_xent(z.data(), 5, t.data(), temperature, 1.7f, 1.0f, dz.data());
    check_grad(z, dz,
               [&] { return soft_softmax_xent(z.data(), 5, t.data(), temperature, 1.7f, 1.0f,
                                              nullptr); },
               "soft softmax", 1e-3);
  }
}

TEST(SoftTargetLoss, SigmoidGradientMatchesFiniteDifferences) {
  for (float temperature : {0.5f, 1.0f, 3.0f}) {
    for (float target : {0.0f, 0.3f, 0.9f}) {
      std::vector<float> z = {1.3f};
      float dz = 0.0f;
      soft_sigmoid_xent(z[0], target, temperature, 0.8f, 1.0f, &dz);
      check_grad(z, {dz},
                 [&] { return soft_sigmoid_xent(z[0], target, temperature, 0.8f, 1.0f, nullptr); },
                 "soft sigmoid", 1e-3);
    }
  }
}

TEST(SoftTargetLoss, GradientIsAddedToWhatDzHolds) {
  const std::vector<float> z = {0.2f, -1.0f, 0.5f};
  const std::vector<float> t = {0.2f, 0.3f, 0.5f};
  std::vector<float> fresh(3, 0.0f), added(3, 10.0f);
  soft_softmax_xent(z.data(), 3, t.data(), 2.0f, 1.0f, 1.0f, fresh.data());
  soft_softmax_xent(z.data(), 3, t.data(), 2.0f, 1.0f, 1.0f, added.data());
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(added[size_t(c)], 10.0f + fresh[size_t(c)]);
}

TEST(SoftTargetLoss, OneHotTargetAtTemperatureOneIsTheHardLoss) {
  std::mt19937 gen(5);
  const std::vector<float> z = random_vec(4, gen, -2.0f, 2.0f);
  for (int label = 0; label < 4; ++label) {
    std::vector<float> onehot(4, 0.0f);
    onehot[size_t(label)] = 1.0f;
    std::vector<float> soft(4, 0.0f), hard(4, 0.0f);
    const double s = soft_softmax_xent(z.data(), 4, onehot.data(), 1.0f, 0.6f, 0.5f, soft.data());
    const double h = softmax_xent(z.data(), 4, label, 0.6f, 0.5f, hard.data());
    EXPECT_NEAR(s, h, 1e-9);
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(soft[size_t(c)], hard[size_t(c)], 1e-7);
  }
  float dsig = 0.0f, dhard = 0.0f;
  EXPECT_NEAR(soft_sigmoid_xent(0.7f, 1.0f, 1.0f, 1.0f, 1.0f, &dsig),
              sigmoid_xent(0.7f, 1, 1.0f, 1.0f, &dhard), 1e-9);
  EXPECT_NEAR(dsig, dhard, 1e-7);
}

// A sigmoid logit z is the two-class softmax over [0, z]: both forms give the same loss.
TEST(SoftTargetLoss, SigmoidFormEqualsTwoClassSoftmax) {
  for (float z : {-4.0f, -0.3f, 0.0f, 2.5f}) {
    const float logits[2] = {0.0f, z};
    const float target[2] = {0.35f, 0.65f};
    EXPECT_NEAR(soft_sigmoid_xent(z, 0.65f, 2.0f, 1.0f, 1.0f, nullptr),
                soft_softmax_xent(logits, 2, target, 2.0f, 1.0f, 1.0f, nullptr), 1e-6);
  }
}

TEST(SoftTargetLoss, StableForLargeLogitsAndSharpTargets) {
  const std::vector<float> z = {1000.0f, -1000.0f, 0.0f};
  const std::vector<float> t = {1.0f, 0.0f, 0.0f};
  std::vector<float> dz(3, 0.0f);
  const double loss = soft_softmax_xent(z.data(), 3, t.data(), 1.0f, 1.0f, 1.0f, dz.data());
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, 0.0, 1e-9);
  for (float g : dz) EXPECT_TRUE(std::isfinite(g));
}

Network small_network(const std::string& preset, int classes) {
  ModelConfig c = *ModelConfig::preset(preset);
  c.vocab_size = 20;
  c.embed_dim = 4;
  c.filters = 3;
  c.widths = {2};
  c.hidden = {};
  c.dropout = 0.0f;
  c.num_classes = classes;
  return *Network::create(c, 9);
}

Batch two_texts() {
  Batch b;
  b.add({3, 4, 5}, 1);
  b.add({7, 8}, 0);
  return b;
}

// Through the network: a one-hot soft target at T = 1 with no hard loss gives the gradients of
// the hard label, for softmax (3 classes) and sigmoid (2 classes) outputs.
TEST(SoftTargetLoss, NetworkGradientsThroughBatchSoftTargets) {
  for (int classes : {2, 3}) {
    const Network net = small_network("seed-cnn", classes);
    Batch hard = two_texts();
    Batch soft = two_texts();
    soft.weights.assign(2, 0.0f);
    for (size_t i = 0; i < 2; ++i) {
      std::vector<float> t(size_t(classes), 0.0f);
      t[size_t(hard.labels[i])] = 1.0f;
      soft.add_soft_target(t.data(), t.size(), 1.0f);
    }
    ASSERT_TRUE(net.validate_batch(soft, true).ok());
    Workspace ws;
    Grads gh = net.make_grads(), gs = net.make_grads();
    const Rng rng(1);
    const double lh = forward_backward(net, hard, 0, 2, ws, gh, rng, true);
    const double ls = forward_backward(net, soft, 0, 2, ws, gs, rng, true);
    EXPECT_NEAR(lh, ls, 1e-6) << classes;
    for (int p = 0; p < gh.size(); ++p) {
      const std::vector<float> a = gh.dense(p), b = gs.dense(p);
      ASSERT_EQ(a.size(), b.size());
      for (size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-6) << classes;
    }
  }
}

TEST(SoftTargetLoss, BatchWithMisshapenSoftTargetsIsRejected) {
  const Network net = small_network("seed-cnn", 3);
  Batch b = two_texts();
  const float t[3] = {0.2f, 0.3f, 0.5f};
  b.add_soft_target(t, 3, 1.0f);  // only one of two examples
  EXPECT_FALSE(net.validate_batch(b, true).ok());
  b.add_soft_target(t, 3, 1.0f);
  EXPECT_TRUE(net.validate_batch(b, true).ok());
  b.soft_temperature = 0.0f;
  EXPECT_FALSE(net.validate_batch(b, true).ok());
}

}  // namespace
}  // namespace fenlei::nn
