// Recurrent presets (issue 15): packed layout, cell and pooling gradients checked against
// central differences through the whole network, ragged batches vs one example at a time,
// thread splits, determinism, config round trip, and learning a toy order-dependent task.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "network_checks.h"
#include "nn/conv1d.h"
#include "nn/fast_math.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "nn/packed_sequence.h"
#include "test_util.h"

namespace fenlei::nn {
namespace {

using testing::random_batch;

// A small version of a recurrent preset, with the given cell / pooling.
ModelConfig small(const std::string& preset, int classes, int vocab = 11) {
  ModelConfig c = *ModelConfig::preset(preset);
  c.vocab_size = vocab;
  c.num_classes = classes;
  c.embed_dim = 4;
  c.rnn_hidden = 3;
  if (c.arch == Arch::kRcnn) c.rcnn_dim = 5;
  c.dropout = 0.0f;
  return c;
}

void grad_check_network(const ModelConfig& c, bool train) {
  auto net_or = Network::create(c, 5);
  ASSERT_TRUE(net_or.ok()) << net_or.status().to_string();
  Network net = std::move(net_or).value();
  // Larger weights than the init, and no bias exactly 0: an empty text's features are 0, and a
  // ReLU hidden unit at exactly 0 is a kink the central difference cannot see through.
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> jitter(-0.2f, 0.2f);
  for (Tensor& t : net.params())
    for (float& x : t.data) x = 2.0f * x + jitter(gen);
  Batch b = random_batch(6, 11, c.num_classes, 7, gen);
  b.add(std::vector<int32_t>{}, 0);  // an empty text
  b.add(std::vector<int32_t>{4}, 1 % c.num_classes);
  testing::check_network_grads(net, b, train, 1e-3);
}

TEST(FastMath, ExpTanhSigmoidMatchLibm) {
  for (float x = -100.0f; x <= 100.0f; x += 0.0137f) {
    const double e = std::exp(double(std::max(-87.0f, std::min(88.0f, x))));
    EXPECT_LE(std::fabs(fast_exp(x) - e), 4e-7 * e) << x;
    EXPECT_NEAR(fast_tanh(x), std::tanh(double(x)), 3e-7) << x;
    EXPECT_NEAR(fast_sigmoid(x), 1.0 / (1.0 + std::exp(-double(x))), 3e-7) << x;
  }
  EXPECT_EQ(fast_tanh(0.0f), 0.0f);
  EXPECT_EQ(fast_sigmoid(0.0f), 0.5f);
}

TEST(PackedLayout, LongestFirstPrefixesPerStep) {
  const std::vector<int32_t> ids(9, 1);
  const std::vector<int32_t> offsets = {0, 2, 2, 6, 7, 9};  // lengths 2, 0, 4, 1, 2
  Segment seg{ids.data(), offsets.data(), 5};
  PackedLayout L;
  build_packed_layout(seg, &L);
  EXPECT_EQ(L.order, (std::vector<int32_t>{2, 0, 4, 3, 1}));
  EXPECT_EQ(L.step_offset, (std::vector<int32_t>{0, 4, 7, 8, 9}));
  EXPECT_EQ(L.rows(), 9);
  EXPECT_EQ(L.row(2, 3), 8);
  EXPECT_EQ(L.row(4, 1), 6);
  EXPECT_EQ(L.row(3, 0), 3);
}

TEST(RecurrentGrad, BiLstmAttention) { grad_check_network(small("bilstm", 3), false); }
TEST(RecurrentGrad, BiLstmMaxPoolingSigmoid) {
  ModelConfig c = small("bilstm", 2);
  c.pooling = Pooling::kMax;
  grad_check_network(c, false);
}
TEST(RecurrentGrad, BiLstmLastStateWithHiddenAndDropout) {
  ModelConfig c = small("bilstm", 3);
  c.pooling = Pooling::kLast;
  c.hidden = {5};
  c.dropout = 0.3f;
  grad_check_network(c, true);
}
TEST(RecurrentGrad, BiGruAttention) { grad_check_network(small("gru", 3), false); }
TEST(RecurrentGrad, BiGruMaxPooling) {
  ModelConfig c = small("gru", 2);
  c.pooling = Pooling::kMax;
  grad_check_network(c, false);
}
TEST(RecurrentGrad, RcnnLstm) { grad_check_network(small("rcnn", 3), false); }
TEST(RecurrentGrad, RcnnGru) {
  ModelConfig c = small("rcnn", 2);
  c.cell = Cell::kGru;
  grad_check_network(c, false);
}

class RecurrentPresets : public ::testing::TestWithParam<const char*> {};

TEST_P(RecurrentPresets, RaggedBatchEqualsPerExample) {
  ModelConfig c = *ModelConfig::preset(GetParam());
  c.vocab_size = 50;
  c.num_classes = 3;
  c.rnn_hidden = 16;
  Network net = *Network::create(c, 2);
  std::mt19937 gen(4);
  Batch b = random_batch(9, 50, 3, 30, gen);
  b.add(std::vector<int32_t>{}, 0);
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

TEST_P(RecurrentPresets, TwoThreadSplitEqualsOneThread) {
  ModelConfig c = *ModelConfig::preset(GetParam());
  c.vocab_size = 60;
  c.num_classes = 2;
  c.rnn_hidden = 16;
  c.hidden = {8};
  Network net = *Network::create(c, 3);
  std::mt19937 gen(5);
  Batch b = random_batch(13, 60, 2, 40, gen);
  testing::expect_split_equals_whole(net, b, 6, 1e-5);
}

TEST_P(RecurrentPresets, DeterministicRunToRun) {
  ModelConfig c = *ModelConfig::preset(GetParam());
  c.vocab_size = 40;
  c.num_classes = 3;
  c.rnn_hidden = 8;
  testing::expect_identical_params(testing::train_three_steps(c), testing::train_three_steps(c));
}

// The label is whether token 2 comes before token 3 in the text: no bag-of-words model can
// learn it, a recurrent one must use order.
TEST_P(RecurrentPresets, LearnsWordOrder) {
  ModelConfig c = *ModelConfig::preset(GetParam());
  c.vocab_size = 12;
  c.num_classes = 2;
  c.embed_dim = 8;
  c.rnn_hidden = 16;
  if (c.arch == Arch::kRcnn) c.rcnn_dim = 16;
  c.dropout = 0.0f;
  Network net = *Network::create(c, 11);
  Optimizer opt = *Optimizer::create(OptimizerConfig{}, net.params());
  std::mt19937 gen(7);
  auto make = [&](int n) {
    Batch b;
    std::uniform_int_distribution<int> len_d(2, 8), noise(4, 11), cls(0, 1);
    for (int i = 0; i < n; ++i) {
      std::vector<int32_t> t(len_d(gen));
      for (auto& x : t) x = noise(gen);
      const int y = cls(gen);
      std::uniform_int_distribution<int> pos(0, int(t.size()) - 1);
      int a = pos(gen), bpos = pos(gen);
      while (bpos == a) bpos = pos(gen);
      if (a > bpos) std::swap(a, bpos);
      t[size_t(a)] = y ? 2 : 3;
      t[size_t(bpos)] = y ? 3 : 2;
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
  for (size_t i = 0; i < test.size(); ++i)
    correct += (p[i * 2 + 1] > p[i * 2]) == (test.labels[i] == 1);
  EXPECT_GE(correct, 380) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Recurrent, RecurrentPresets, ::testing::Values("bilstm", "gru", "rcnn"));

TEST(RecurrentConfig, JsonRoundTripAndNames) {
  for (const char* preset : {"bilstm", "gru", "rcnn"}) {
    ModelConfig c = *ModelConfig::preset(preset);
    c.vocab_size = 100;
    c.num_classes = 4;
    if (c.arch == Arch::kBiRnn) c.pooling = Pooling::kMax;
    auto back = ModelConfig::from_json(c.to_json());
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(*back, c) << preset;
    EXPECT_TRUE(c.recurrent());
  }
  // Files of the older architectures carry none of the new keys.
  ModelConfig cnn = *ModelConfig::preset("textcnn");
  EXPECT_FALSE(cnn.to_json().contains("rnn_hidden"));
  ModelConfig c = small("gru", 3);
  Network net = *Network::create(c, 1);
  EXPECT_NE(net.params().find("gru_fwd/w_hh"), nullptr);
  EXPECT_EQ(net.params().find("gru_bwd/b_hh")->shape, (std::vector<int64_t>{9}));
  EXPECT_EQ(net.params().find("attention/vector")->shape, (std::vector<int64_t>{6}));
  ModelConfig r = small("rcnn", 3);
  Network rn = *Network::create(r, 1);
  EXPECT_EQ(rn.params().find("rcnn/weight")->shape, (std::vector<int64_t>{5, 10}));
  EXPECT_EQ(rn.params().find("lstm_fwd/w_ih")->shape, (std::vector<int64_t>{12, 4}));
  ModelConfig bad = c;
  bad.rnn_hidden = 0;
  EXPECT_FALSE(bad.validate().ok());
}

}  // namespace
}  // namespace fenlei::nn
