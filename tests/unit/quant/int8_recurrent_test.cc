// int8 models of the recurrent presets (issue 15): int8 embedding and head, float recurrence.
#include "quant/int8_recurrent.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/int8_model.h"

namespace fenlei::quant {
namespace {

nn::Network make_rnn(const std::string& preset, int classes, std::vector<int> hidden = {}) {
  nn::ModelConfig c = *nn::ModelConfig::preset(preset);
  c.vocab_size = 300;
  c.num_classes = classes;
  c.rnn_hidden = 24;
  c.hidden = std::move(hidden);
  if (c.arch == nn::Arch::kRcnn) c.rcnn_dim = 32;
  auto net = nn::Network::create(c, 11);
  EXPECT_TRUE(net.ok()) << net.status().message();
  auto& embed = net->params()[net->embed_index()].data;  // trained-looking rows
  for (size_t i = 0; i < 40 * size_t(c.embed_dim); ++i) embed[i] *= 8.0f;
  return std::move(*net);
}

nn::Batch random_batch(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> tok(1, 299), len(0, 30);
  nn::Batch b;
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> t(size_t(len(rng)));
    for (auto& v : t) v = tok(rng);
    b.add(t);
  }
  return b;
}

class Int8Recurrent : public ::testing::TestWithParam<const char*> {};

TEST_P(Int8Recurrent, MatchesFloatClosely) {
  for (bool per_row : {false, true}) {
    const nn::Network net = make_rnn(GetParam(), 3, {16});
    auto q = Int8Model::quantize(net, {true, per_row});
    ASSERT_TRUE(q.ok()) << q.status().message();
    ASSERT_NE(q->recurrent_part(), nullptr);
    const nn::Batch batch = random_batch(40, 5);
    std::vector<float> pf(batch.size() * 3), pq(pf.size());
    nn::Workspace wsf;
    nn::predict_proba(net, batch, wsf, pf.data());
    Int8Workspace wsq;
    predict_proba_int8(*q, batch, wsq, pq.data());
    float worst = 0;
    for (size_t i = 0; i < pf.size(); ++i) worst = std::max(worst, std::fabs(pf[i] - pq[i]));
    EXPECT_LT(worst, 0.02f) << GetParam();
    for (size_t i = 0; i < batch.size(); ++i)
      EXPECT_NEAR(pq[i * 3] + pq[i * 3 + 1] + pq[i * 3 + 2], 1.0f, 1e-5f);
  }
}

TEST_P(Int8Recurrent, TensorRoundTripAndDequantize) {
  const nn::Network net = make_rnn(GetParam(), 2);
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  const auto tensors = q->to_tensors();
  auto back = Int8Model::from_tensors(net.config(), tensors, "m");
  ASSERT_TRUE(back.ok()) << back.status().message();
  const nn::Batch batch = random_batch(10, 9);
  std::vector<float> a(20), b(20);
  Int8Workspace ws;
  predict_proba_int8(*q, batch, ws, a.data());
  predict_proba_int8(*back, batch, ws, b.data());
  EXPECT_EQ(a, b);
  // Recurrent weights are stored exactly (float), the embedding as int8.
  for (const auto& t : tensors) {
    if (t.name == "embed/weight") {
      EXPECT_EQ(t.dtype, format::DType::kI8);
    }
    if (t.name.find("_fwd/w_hh") != std::string::npos) {
      EXPECT_EQ(t.dtype, format::DType::kF32);
    }
  }
  auto deq = q->dequantize();
  ASSERT_TRUE(deq.ok());
  const int w = net.recurrent().w_hh[1];
  EXPECT_EQ(deq->params()[w].data, net.params()[w].data);
  // A missing recurrent tensor is a corrupt file.
  std::vector<format::Tensor> missing;
  for (const auto& t : tensors)
    if (t.name.find("_bwd/w_ih") == std::string::npos) missing.push_back(t);
  EXPECT_FALSE(Int8Model::from_tensors(net.config(), missing, "m").ok());
}

INSTANTIATE_TEST_SUITE_P(Presets, Int8Recurrent, ::testing::Values("bilstm", "gru", "rcnn"));

}  // namespace
}  // namespace fenlei::quant
