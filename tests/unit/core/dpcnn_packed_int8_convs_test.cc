// core::DpcnnPackedInt8Convs: an int8 dpcnn whose convs' products run on the encoders' packed
// VNNI kernel gives quant's own int8 path's probabilities bit for bit (same quantised rows,
// exact int32 products, quant's dequantisation), on ragged batches whose convs span partial
// 32-column panels and inputs that are not a multiple of 4 bytes.
#include "core/dpcnn_packed_int8_convs.h"

#include <gtest/gtest.h>

#include <random>

#include "nn/network.h"
#include "quant/int8_model.h"

namespace fenlei::core {
namespace {

quant::Int8Model int8_dpcnn(int dim, int channels, int classes) {
  auto config = *nn::ModelConfig::preset("dpcnn");
  config.embed_dim = dim;
  config.filters = channels;
  config.blocks = 3;
  config.vocab_size = 60;
  config.num_classes = classes;
  auto net = nn::Network::create(config, 11);
  EXPECT_TRUE(net.ok()) << net.status().message();
  auto q = quant::Int8Model::quantize(*net, {});
  EXPECT_TRUE(q.ok()) << q.status().message();
  return std::move(*q);
}

nn::Batch ragged_batch(int n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int32_t> tok(0, 59), len(0, 45);
  nn::Batch b;
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> ids(static_cast<size_t>(len(gen)));
    for (int32_t& id : ids) id = tok(gen);
    b.add(ids, 0);
  }
  return b;
}

TEST(DpcnnPackedInt8Convs, NullForOtherArchitectures) {
  auto config = *nn::ModelConfig::preset("textcnn");
  config.vocab_size = 20;
  config.num_classes = 2;
  auto q = quant::Int8Model::quantize(*nn::Network::create(config, 1), {});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(DpcnnPackedInt8Convs::create(*q), nullptr);
}

TEST(DpcnnPackedInt8Convs, EqualsQuantsOwnPathBitExact) {
  // channels 40: a partial panel; 7-wide embeddings: the region conv's 21 inputs pad to 24.
  for (const auto& [dim, channels] : {std::pair{7, 40}, std::pair{16, 64}, std::pair{8, 5}}) {
    const quant::Int8Model model = int8_dpcnn(dim, channels, 3);
    auto packed = DpcnnPackedInt8Convs::create(model);
    ASSERT_NE(packed, nullptr);
    const nn::Batch batch = ragged_batch(70, uint32_t(dim * 100 + channels));  // > 1 chunk
    ASSERT_GT(batch.ids.size(), size_t(nn::kDpcnnInferenceRows));
    std::vector<float> own(batch.size() * 3), fast(own.size());
    quant::Int8Workspace ws_own, ws_fast;
    quant::predict_proba_int8(model, batch, ws_own, own.data());
    quant::predict_proba_int8(model, batch, ws_fast, fast.data(), &packed->ops());
    for (size_t i = 0; i < own.size(); ++i)
      ASSERT_EQ(fast[i], own[i]) << dim << " x " << channels << ", value " << i;
  }
}

}  // namespace
}  // namespace fenlei::core
