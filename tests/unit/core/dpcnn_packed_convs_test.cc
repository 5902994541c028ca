// core::DpcnnPackedConvs: the float dpcnn forward on weights packed once equals the network's
// own im2col + sgemm forward up to float summation order, on ragged batches whose stages span
// several 12-row blocks and a partial 32-column panel.
#include "core/dpcnn_packed_convs.h"

#include <gtest/gtest.h>

#include <random>

#include "nn/dpcnn.h"
#include "nn/network.h"
#include "nn/workspace.h"

namespace fenlei::core {
namespace {

nn::Network wide_dpcnn(int channels) {
  auto config = *nn::ModelConfig::preset("dpcnn");
  config.embed_dim = 24;
  config.filters = channels;
  config.blocks = 4;
  config.vocab_size = 50;
  config.num_classes = 3;
  return *nn::Network::create(config, 7);
}

nn::Batch ragged_batch(std::mt19937& gen) {
  nn::Batch b;
  b.add(std::vector<int32_t>{}, 0);
  b.add(std::vector<int32_t>{3}, 0);
  for (int len : {2, 5, 13, 30, 37}) {
    std::vector<int32_t> ids(static_cast<size_t>(len));
    for (int32_t& id : ids) id = std::uniform_int_distribution<int32_t>(0, 49)(gen);
    b.add(ids, 1);
  }
  return b;
}

TEST(DpcnnPackedConvs, NullForOtherArchitectures) {
  auto config = *nn::ModelConfig::preset("textcnn");
  config.vocab_size = 20;
  config.num_classes = 2;
  EXPECT_EQ(DpcnnPackedConvs::create(*nn::Network::create(config, 1)), nullptr);
}

TEST(DpcnnPackedConvs, EqualsTheNetworksForwardUpToRounding) {
  for (int channels : {40, 64, 7}) {  // a partial panel, two full ones, fewer than one
    const nn::Network net = wide_dpcnn(channels);
    auto packed = DpcnnPackedConvs::create(net);
    ASSERT_NE(packed, nullptr);
    ASSERT_TRUE(packed->has_region_table());
    EXPECT_EQ(packed->region_rows_filled(), 0u);
    std::mt19937 gen(3);
    const nn::Batch batch = ragged_batch(gen);
    const size_t n = batch.size() * 3;
    std::vector<float> plain(n), fast(n), one(3);
    nn::Workspace ws, ws_fast;
    nn::predict_proba(net, batch, ws, plain.data());
    nn::predict_proba(net, batch, ws_fast, fast.data(), nullptr, nullptr, &packed->ops());
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(fast[i], plain[i], 2e-6) << channels << " " << i;
    // Rows are computed on first use (the batch's distinct tokens), and a row's values do not
    // depend on which call computed it: one text at a time gives the batch's values.
    EXPECT_GT(packed->region_rows_filled(), 0u);
    EXPECT_LT(packed->region_rows_filled(), 50u);
    for (size_t t = 0; t < batch.size(); ++t) {
      nn::Batch single;
      single.add(std::vector<int32_t>(batch.ids.begin() + batch.offsets[t],
                                      batch.ids.begin() + batch.offsets[t + 1]),
                 0);
      nn::predict_proba(net, single, ws_fast, one.data(), nullptr, nullptr, &packed->ops());
      for (size_t k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(one[k], fast[t * 3 + k]);
    }
  }
}

// Batches run in chunks of texts (nn::dpcnn_infer_ops, so that a chunk's stages stay in cache):
// on the packed convs every row is computed alone in one order, so any chunking gives the
// features of one forward over the whole batch bit for bit.
TEST(DpcnnPackedConvs, ChunkedInferenceEqualsWholeBatchBitExact) {
  const nn::Network net = wide_dpcnn(40);
  auto packed = DpcnnPackedConvs::create(net);
  ASSERT_NE(packed, nullptr);
  std::mt19937 gen(5);
  nn::Batch batch = ragged_batch(gen);
  for (const nn::Batch& more : {ragged_batch(gen), ragged_batch(gen)})
    for (size_t t = 0; t < more.size(); ++t)
      batch.add(std::vector<int32_t>(more.ids.begin() + more.offsets[t],
                                     more.ids.begin() + more.offsets[t + 1]),
                0);
  const nn::ModelConfig& c = net.config();
  const int fd = c.feature_dim();
  const nn::Segment seg{batch.ids.data(), batch.offsets.data(), int(batch.size())};
  std::vector<float> whole(batch.size() * fd);
  nn::DpcnnScratch s;
  nn::dpcnn_forward_ops(c.embed_dim, c.filters, c.blocks, packed->ops(), seg, s, whole.data(), fd);
  for (const int max_rows : {1, 13, 40, 100000}) {
    std::vector<float> chunked(whole.size(), -1.0f);
    nn::DpcnnScratch cs;
    nn::dpcnn_infer_ops(c.embed_dim, c.filters, c.blocks, packed->ops(), seg, cs, chunked.data(),
                        fd, max_rows);
    for (size_t i = 0; i < whole.size(); ++i)
      ASSERT_EQ(chunked[i], whole[i]) << "max_rows " << max_rows << " value " << i;
  }
}

TEST(DpcnnPackedConvs, WarmUpFillsEveryRowAndChangesNothing) {
  const nn::Network net = wide_dpcnn(40);
  auto lazy = DpcnnPackedConvs::create(net);
  auto warm = DpcnnPackedConvs::create(net);
  warm->warm_up();
  EXPECT_EQ(warm->region_rows_filled(), 50u);
  std::mt19937 gen(9);
  const nn::Batch batch = ragged_batch(gen);
  std::vector<float> a(batch.size() * 3), b(batch.size() * 3);
  nn::Workspace ws;
  nn::predict_proba(net, batch, ws, a.data(), nullptr, nullptr, &lazy->ops());
  nn::predict_proba(net, batch, ws, b.data(), nullptr, nullptr, &warm->ops());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]);
}

}  // namespace
}  // namespace fenlei::core
