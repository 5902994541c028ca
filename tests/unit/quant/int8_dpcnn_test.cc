// The int8 dpcnn (quant/int8_dpcnn.h): close to the float network, exact through the file
// tensors, and dequantised back into the float network's tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "nn/dpcnn.h"
#include "nn/network.h"
#include "quant/int8_model.h"

namespace fenlei::quant {
namespace {

nn::Network make_dpcnn(int classes) {
  nn::ModelConfig c = *nn::ModelConfig::preset("dpcnn");
  c.vocab_size = 200;
  c.num_classes = classes;
  c.embed_dim = 16;
  c.filters = 32;
  c.blocks = 3;
  auto net = nn::Network::create(c, 13);
  EXPECT_TRUE(net.ok()) << net.status().message();
  return std::move(*net);
}

nn::Batch random_batch(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> tok(1, 199), len(0, 40);
  nn::Batch b;
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> t(size_t(len(rng)));
    for (auto& v : t) v = tok(rng);
    b.add(t);
  }
  return b;
}

TEST(Int8Dpcnn, MatchesFloatClosely) {
  for (int classes : {2, 4}) {
    const nn::Network net = make_dpcnn(classes);
    auto q = Int8Model::quantize(net, {});
    ASSERT_TRUE(q.ok()) << q.status().message();
    EXPECT_EQ(q->conv().size(), 1u + 2u * 4u);  // region + two convs per stage
    const nn::Batch batch = random_batch(30, 3);
    std::vector<float> pf(batch.size() * size_t(classes)), pq(pf.size());
    nn::Workspace wsf;
    nn::predict_proba(net, batch, wsf, pf.data());
    Int8Workspace wsq;
    predict_proba_int8(*q, batch, wsq, pq.data());
    float worst = 0;
    for (size_t i = 0; i < pf.size(); ++i) worst = std::max(worst, std::fabs(pf[i] - pq[i]));
    EXPECT_LT(worst, 0.02f);
    EXPECT_GT(worst, 0.0f);  // it did run in int8
  }
}

// A batch runs in chunks of texts (nn::dpcnn_infer_ops; 80 texts of up to 40 tokens span
// several 1,024-row chunks): every conv row is quantised and multiplied alone, so each text's
// probabilities are the same bits in the batch as alone.
TEST(Int8Dpcnn, BatchEqualsEachTextAloneBitExact) {
  const nn::Network net = make_dpcnn(3);
  auto q = Int8Model::quantize(net, {});
  ASSERT_TRUE(q.ok()) << q.status().message();
  const nn::Batch batch = random_batch(80, 21);
  ASSERT_GT(batch.ids.size(), size_t(nn::kDpcnnInferenceRows));
  std::vector<float> all(batch.size() * 3), one(3);
  Int8Workspace ws, alone;
  predict_proba_int8(*q, batch, ws, all.data());
  for (size_t t = 0; t < batch.size(); ++t) {
    nn::Batch single;
    single.add(std::vector<int32_t>(batch.ids.begin() + batch.offsets[t],
                                    batch.ids.begin() + batch.offsets[t + 1]));
    predict_proba_int8(*q, single, alone, one.data());
    for (size_t k = 0; k < 3; ++k) ASSERT_EQ(one[k], all[t * 3 + k]) << "text " << t;
  }
}

TEST(Int8Dpcnn, TensorRoundTripGivesIdenticalOutputs) {
  const nn::Network net = make_dpcnn(3);
  auto q = Int8Model::quantize(net, {});
  ASSERT_TRUE(q.ok());
  const auto tensors = q->to_tensors();
  bool has_region = false;
  for (const auto& t : tensors) has_region |= t.name == "region/weight";
  EXPECT_TRUE(has_region);
  auto back = Int8Model::from_tensors(net.config(), tensors, "m");
  ASSERT_TRUE(back.ok()) << back.status().message();
  const nn::Batch batch = random_batch(12, 9);
  std::vector<float> a(36), b(36);
  Int8Workspace ws;
  predict_proba_int8(*q, batch, ws, a.data());
  predict_proba_int8(*back, batch, ws, b.data());
  EXPECT_EQ(a, b);
  auto missing = tensors;
  missing.pop_back();
  EXPECT_FALSE(Int8Model::from_tensors(net.config(), missing, "m").ok());
}

TEST(Int8Dpcnn, DequantizesIntoTheFloatNetwork) {
  const nn::Network net = make_dpcnn(2);
  auto q = Int8Model::quantize(net, {});
  ASSERT_TRUE(q.ok());
  auto deq = q->dequantize();
  ASSERT_TRUE(deq.ok()) << deq.status().message();
  for (int i = 0; i < net.params().size(); ++i) {
    const nn::Tensor& a = net.params()[i];
    const nn::Tensor& b = deq->params()[i];
    ASSERT_EQ(a.name, b.name);
    float amax = 0, err = 0;
    for (size_t k = 0; k < a.data.size(); ++k) {
      amax = std::max(amax, std::fabs(a.data[k]));
      err = std::max(err, std::fabs(a.data[k] - b.data[k]));
    }
    EXPECT_LE(err, amax / 127.0f) << a.name;  // at most half a step of the widest channel
  }
}

}  // namespace
}  // namespace fenlei::quant
