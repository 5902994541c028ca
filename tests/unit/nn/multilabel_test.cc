// Multi-label (one-versus-all) output: the loss and its gradient, probabilities, and batch checks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "grad_check.h"
#include "nn/loss.h"
#include "nn/network.h"

namespace fenlei::nn {
namespace {

ModelConfig tiny_ova(const std::string& preset) {
  ModelConfig c = *ModelConfig::preset(preset);
  c.vocab_size = 11;
  c.num_classes = 4;
  c.embed_dim = 4;
  c.output = Output::kOva;
  if (c.arch == Arch::kCnn) {
    c.filters = 3;
    c.widths = {2, 3};
  }
  return c;
}

// Six examples with label sets of 0, 1, 2 and 3 labels.
Batch multi_label_batch(std::mt19937& gen) {
  const std::vector<std::vector<int32_t>> sets = {{}, {2}, {0, 3}, {1, 2, 3}, {3}, {1, 0}};
  std::uniform_int_distribution<int> len_d(0, 7), id_d(1, 10);
  Batch b;
  for (const auto& s : sets) {
    std::vector<int32_t> t(size_t(len_d(gen)));
    for (auto& x : t) x = id_d(gen);
    b.add_with_label_set(t.data(), t.size(), s.data(), s.size(), 1.5f);
  }
  return b;
}

TEST(OvaLoss, IsTheSumOfPerClassBinaryCrossEntropies) {
  const float z[4] = {1.5f, -0.5f, 0.0f, 3.0f};
  const int32_t labels[2] = {3, 1};
  float dz[4];
  const double loss = ova_xent(z, 4, labels, 2, 2.0f, 0.5f, dz);
  double expected = 0.0;
  for (int c = 0; c < 4; ++c) {
    const int y = (c == 3 || c == 1) ? 1 : 0;
    float d;
    expected += sigmoid_xent(z[c], y, 2.0f, 0.5f, &d);
    EXPECT_NEAR(dz[c], d, 1e-6) << c;
  }
  EXPECT_NEAR(loss, expected, 1e-9);
  float p[4];
  ova_proba(z, 4, p);
  for (int c = 0; c < 4; ++c) EXPECT_NEAR(p[c], 1.0 / (1.0 + std::exp(-double(z[c]))), 1e-6);
}

void grad_check_ova(const std::string& preset) {
  auto net_or = Network::create(tiny_ova(preset), 5);
  ASSERT_TRUE(net_or.ok()) << net_or.status().to_string();
  Network net = std::move(net_or).value();
  for (Tensor& t : net.params())
    for (float& x : t.data) x *= 4.0f;
  std::mt19937 gen(3);
  Batch b = multi_label_batch(gen);
  ASSERT_TRUE(net.validate_batch(b, true).ok()) << net.validate_batch(b, true).to_string();
  Workspace ws;
  Rng rng(9);
  Grads g = net.make_grads();
  forward_backward(net, b, 0, b.size(), ws, g, rng, false);
  Grads scratch = net.make_grads();
  auto f = [&] { return forward_backward(net, b, 0, b.size(), ws, scratch, rng, false) / b.size(); };
  for (int i = 0; i < net.params().size(); ++i)
    testing::check_grad(net.params()[i].data, g.dense(i), f, net.params()[i].name.c_str(), 3e-3,
                        2e-2, 3e-4);
}

TEST(OvaNetwork, GradientsMatchNumericalFastText) { grad_check_ova("fasttext"); }
TEST(OvaNetwork, GradientsMatchNumericalCnn) { grad_check_ova("textcnn"); }

TEST(OvaNetwork, ProbabilitiesAreIndependentSigmoids) {
  auto net = Network::create(tiny_ova("seed-cnn"), 5);
  ASSERT_TRUE(net.ok());
  std::mt19937 gen(1);
  Batch b = multi_label_batch(gen);
  Workspace ws;
  std::vector<float> p(b.size() * 4);
  predict_proba(*net, b, ws, p.data());
  // Each column is a probability of its own; rows need not sum to 1.
  double max_row_sum_gap = 0.0;
  for (size_t i = 0; i < b.size(); ++i) {
    double sum = 0.0;
    for (int c = 0; c < 4; ++c) {
      EXPECT_GT(p[i * 4 + c], 0.0f);
      EXPECT_LT(p[i * 4 + c], 1.0f);
      sum += p[i * 4 + c];
    }
    max_row_sum_gap = std::max(max_row_sum_gap, std::fabs(sum - 1.0));
  }
  EXPECT_GT(max_row_sum_gap, 0.1);
}

TEST(OvaNetwork, ValidateBatchChecksLabelSets) {
  auto net = Network::create(tiny_ova("fasttext"), 5);
  ASSERT_TRUE(net.ok());
  const int32_t tokens[2] = {1, 2};
  Batch missing;
  missing.add(tokens, 2, 1);
  EXPECT_FALSE(net->validate_batch(missing, true).ok());
  Batch repeated;
  const int32_t twice[2] = {1, 1};
  repeated.add_with_label_set(tokens, 2, twice, 2);
  EXPECT_FALSE(net->validate_batch(repeated, true).ok());
  Batch out_of_range;
  const int32_t big[1] = {4};
  out_of_range.add_with_label_set(tokens, 2, big, 1);
  EXPECT_FALSE(net->validate_batch(out_of_range, true).ok());
  Batch fine;
  const int32_t ok[2] = {3, 0};
  fine.add_with_label_set(tokens, 2, ok, 2);
  fine.add_with_label_set(tokens, 2, ok, 0);
  EXPECT_TRUE(net->validate_batch(fine, true).ok());
}

TEST(OvaConfig, RoundTripsAndNamesTheOutput) {
  ModelConfig c = tiny_ova("fasttext");
  EXPECT_TRUE(c.multi_label());
  EXPECT_EQ(c.output_units(), 4);
  auto back = ModelConfig::from_json(c.to_json());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->multi_label());
  EXPECT_EQ(*parse_output("ova"), Output::kOva);
}

}  // namespace
}  // namespace fenlei::nn
