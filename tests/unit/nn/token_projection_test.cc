// TokenProjection against the im2col + sgemm conv block it replaces at inference: same
// features up to rounding on ragged batches (empty texts, texts shorter than a width, repeated
// tokens, filter counts that are not a multiple of the vector width), bit-identical results
// whether a row came from the cache or was just computed, concurrent callers, and the kernels.
#include "nn/token_projection.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <thread>

#include "nn/network.h"

namespace fenlei::nn {
namespace {

Network make_net(int vocab, int dim, int filters, std::vector<int> widths, int classes,
                 uint64_t seed) {
  ModelConfig c = *ModelConfig::preset("textcnn");
  c.vocab_size = vocab;
  c.embed_dim = dim;
  c.filters = filters;
  c.widths = std::move(widths);
  c.num_classes = classes;
  Network net = *Network::create(c, seed);
  // Larger weights than the init so that ReLU clips some features and passes others.
  std::mt19937 gen(static_cast<unsigned>(seed));
  std::normal_distribution<float> noise(0.0f, 0.5f);
  for (Tensor& t : net.params())
    for (float& x : t.data) x = noise(gen);
  return net;
}

Batch ragged_batch(int vocab, std::mt19937& gen) {
  Batch b;
  std::uniform_int_distribution<int> id(1, vocab - 1), len(0, 40);
  b.add(std::vector<int32_t>{});                 // empty: one window of pad rows
  b.add(std::vector<int32_t>{3});                // shorter than every width
  b.add(std::vector<int32_t>{5, 5, 5, 5, 5, 5}); // one token repeated
  for (int i = 0; i < 12; ++i) {
    std::vector<int32_t> t(static_cast<size_t>(len(gen)));
    for (auto& x : t) x = id(gen);
    b.add(t);
  }
  return b;
}

// Probabilities through predict_proba: the im2col + sgemm conv block when p is null, else the
// per-token projections.
std::vector<float> probabilities(const Network& net, const Batch& b, const TokenProjection* p) {
  Workspace ws;
  std::vector<float> out(b.size() * size_t(net.num_classes()));
  predict_proba(net, b, ws, out.data(), p);
  return out;
}

TEST(TokenProjection, MatchesTheGemmPathOnRaggedBatches) {
  for (int filters : {3, 8, 13}) {
    Network net = make_net(50, 6, filters, {2, 3, 5}, 4, 11);
    auto proj = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
    ASSERT_NE(proj, nullptr);
    EXPECT_EQ(proj->row_floats(), (2 + 3 + 5) * ((filters + 7) / 8 * 8));
    std::mt19937 gen(7);
    const Batch b = ragged_batch(50, gen);
    const std::vector<float> ref = probabilities(net, b, nullptr);
    const std::vector<float> fast = probabilities(net, b, proj.get());
    ASSERT_EQ(ref.size(), fast.size());
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(fast[i], ref[i], 2e-5) << i;
    // Features themselves, through the pooled block (not only after the softmax).
    Workspace ws;
    std::vector<float> feat(b.size() * size_t(net.config().feature_dim()));
    Segment seg{b.ids.data(), b.offsets.data(), static_cast<int>(b.size())};
    proj->features(seg, ws.projection, feat.data(), net.config().feature_dim());
    for (size_t c = 0; c < net.conv_layers().size(); ++c) {
      const Network::ConvIndex& ci = net.conv_layers()[c];
      ConvScratch s;
      std::vector<float> ref_feat(b.size() * size_t(filters));
      conv_pool_forward(net.params()[net.embed_index()].data.data(), 6,
                        net.params()[ci.weight].data.data(), net.params()[ci.bias].data.data(),
                        ci.width, filters, seg, s, ref_feat.data(), filters);
      for (size_t i = 0; i < b.size(); ++i)
        for (int f = 0; f < filters; ++f)
          EXPECT_NEAR(feat[i * net.config().feature_dim() + c * size_t(filters) + size_t(f)],
                      ref_feat[i * size_t(filters) + size_t(f)], 1e-4)
              << "filters " << filters << " conv " << c << " example " << i << " f " << f;
    }
  }
}

TEST(TokenProjection, CachedRowsGiveBitIdenticalResults) {
  Network net = make_net(40, 5, 9, {3, 4}, 2, 3);  // 2 classes: sigmoid output
  auto proj = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
  ASSERT_NE(proj, nullptr);
  EXPECT_EQ(proj->rows_filled(), 0u);
  std::mt19937 gen(1);
  const Batch b = ragged_batch(40, gen);
  const std::vector<float> cold = probabilities(net, b, proj.get());
  const size_t filled = proj->rows_filled();
  EXPECT_GT(filled, 1u);
  EXPECT_LE(filled, 40u);
  const std::vector<float> warm = probabilities(net, b, proj.get());
  EXPECT_EQ(cold, warm);  // rows from the table equal rows computed on the spot, bit for bit
  // One example alone equals the same example inside the batch.
  Batch one;
  one.add(std::vector<int32_t>(b.ids.begin() + b.offsets[5], b.ids.begin() + b.offsets[6]));
  const std::vector<float> single = probabilities(net, one, proj.get());
  EXPECT_EQ(single[0], warm[10]);
  EXPECT_EQ(single[1], warm[11]);
}

TEST(TokenProjection, ResultsDoNotDependOnTheCacheHistory) {
  // Two projections of one network, warmed by different texts in different orders, then asked
  // the same batch: each row was computed in a different chunk position, yet results agree
  // bit for bit.
  Network net = make_net(200, 7, 12, {2, 5}, 3, 8);
  auto a = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
  auto b = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
  std::mt19937 gen(9);
  const Batch probe = ragged_batch(200, gen);
  const Batch warm_a = ragged_batch(200, gen);
  Batch warm_b;  // the probe's tokens one at a time, last to first
  for (size_t i = probe.ids.size(); i-- > 0;) warm_b.add(std::vector<int32_t>{probe.ids[i]});
  probabilities(net, warm_a, a.get());
  probabilities(net, warm_b, b.get());
  const std::vector<float> expected = probabilities(net, probe, a.get());
  EXPECT_EQ(probabilities(net, probe, b.get()), expected);
  // Filled all at once (Classifier::warm_up), before any text.
  auto c = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
  ProjectionScratch scratch;
  c->fill_all(scratch);
  EXPECT_EQ(c->rows_filled(), 200u);
  EXPECT_EQ(probabilities(net, probe, c.get()), expected);
}

TEST(TokenProjection, WarmUpFillsOnlyTheMostFrequentRowsAndResultsStayIdentical) {
  // A row of width 2 and 8 padded filters is 64 bytes: 8 MiB hold 131,072 of 140,000 rows.
  const int vocab = 140000;
  Network net = make_net(vocab, 3, 8, {2}, 2, 4);
  auto lazy = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
  auto warm = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
  ProjectionScratch scratch;
  warm->fill_frequent(scratch);
  const size_t budget_rows = TokenProjection::kWarmUpBytes / (size_t(warm->row_floats()) * 4);
  EXPECT_EQ(budget_rows, 131072u);
  EXPECT_EQ(warm->rows_filled(), budget_rows);
  Batch b;  // frequent ids (in the warm part) and rare ones (beyond it)
  b.add(std::vector<int32_t>{2, 3, 4, vocab - 1, vocab - 2});
  b.add(std::vector<int32_t>{vocab - 3, 17});
  EXPECT_EQ(probabilities(net, b, warm.get()), probabilities(net, b, lazy.get()));
  EXPECT_EQ(warm->rows_filled(), budget_rows + 3);  // the rare rows, computed on first use
}

TEST(TokenProjection, ConcurrentCallersAgree) {
  Network net = make_net(300, 8, 16, {3, 4, 5}, 3, 5);
  auto proj = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
  ASSERT_NE(proj, nullptr);
  std::mt19937 gen(2);
  const Batch b = ragged_batch(300, gen);
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) results[t] = probabilities(net, b, proj.get());
    });
  for (auto& th : threads) th.join();
  for (size_t t = 1; t < results.size(); ++t) EXPECT_EQ(results[t], results[0]);
  EXPECT_EQ(results[0], probabilities(net, b, proj.get()));
}

TEST(TokenProjection, DeclinesWhatItCannotServe) {
  Network net = make_net(1000, 8, 16, {3}, 3, 1);
  // 1000 rows x 3*16 floats = 192,000 bytes.
  EXPECT_EQ(TokenProjection::create(net, 191999), nullptr);
  EXPECT_NE(TokenProjection::create(net, 192000), nullptr);
  ModelConfig ft = *ModelConfig::preset("fasttext");
  ft.vocab_size = 20;
  ft.num_classes = 2;
  Network fasttext = *Network::create(ft, 1);
  EXPECT_EQ(TokenProjection::create(fasttext, TokenProjection::kDefaultMaxBytes), nullptr);
  setenv("FENLEI_CONV_KERNEL", "gemm", 1);
  EXPECT_EQ(TokenProjection::create(net, TokenProjection::kDefaultMaxBytes), nullptr);
  unsetenv("FENLEI_CONV_KERNEL");
}

TEST(TokenProjection, WindowKernelEqualsTheReference) {
  std::mt19937 gen(4);
  std::normal_distribution<float> d(0.0f, 1.0f);
  const int padded = 24, width = 4, len = 9, offset = 8;
  std::vector<std::vector<float>> storage(len, std::vector<float>(offset + width * padded));
  std::vector<const float*> rows;
  for (auto& r : storage) {
    for (float& x : r) x = d(gen);
    rows.push_back(r.data());
  }
  std::vector<float> a(padded), b(padded);
  const int steps = len - width + 1;
  window_sum_max_ref(rows.data(), steps, width, offset, padded, a.data());
  window_sum_max(rows.data(), steps, width, offset, padded, b.data());
  EXPECT_EQ(a, b);
  // The reference itself, by hand for one filter.
  float best = -INFINITY;
  for (int t = 0; t < steps; ++t) {
    float s = 0.0f;
    for (int j = 0; j < width; ++j) s += storage[size_t(t + j)][size_t(offset + j * padded + 5)];
    best = std::max(best, s);
  }
  EXPECT_NEAR(a[5], best, 1e-5);
}

TEST(TokenProjection, WindowKernelEqualsTheReferenceForEveryBlockSplit) {
  // 128 filters: seed-cnn's shape, four 4-vector blocks; 40: one 4-vector block and one single
  // vector; 8: a single vector. Width 5 and 1, texts shorter and longer than the width.
  std::mt19937 gen(11);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (int padded : {8, 40, 128})
    for (int width : {1, 5})
      for (int len : {5, 6, 37}) {
        const int offset = 16;
        std::vector<std::vector<float>> storage(size_t(len),
                                                std::vector<float>(size_t(offset + width * padded)));
        std::vector<const float*> rows;
        for (auto& r : storage) {
          for (float& x : r) x = d(gen);
          rows.push_back(r.data());
        }
        std::vector<float> a(static_cast<size_t>(padded)), b(static_cast<size_t>(padded), 7.0f);
        const int steps = len - width + 1;
        window_sum_max_ref(rows.data(), steps, width, offset, padded, a.data());
        window_sum_max(rows.data(), steps, width, offset, padded, b.data());
        EXPECT_EQ(a, b) << "padded " << padded << " width " << width << " len " << len;
      }
}

TEST(TokenProjection, SeedCnnBatchFeaturesEqualEachTextAlone) {
  // seed-cnn's shape (16-dim embeddings, one width-5 conv of 128 filters): every example of a
  // ragged batch gets bit for bit the pooled features it gets alone, with the table cold and
  // warm (the batch loop prefetches the next text's rows; that must change nothing).
  ModelConfig c = *ModelConfig::preset("seed-cnn");
  c.vocab_size = 300;
  c.num_classes = 5;
  Network net = *Network::create(c, 21);
  std::mt19937 gen(21);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  for (Tensor& t : net.params())
    for (float& x : t.data) x = noise(gen);
  const Batch b = ragged_batch(300, gen);
  auto proj = TokenProjection::create(net, TokenProjection::kDefaultMaxBytes);
  ASSERT_NE(proj, nullptr);
  const int feat_dim = c.filters;
  auto features = [&](const Segment& seg) {
    ProjectionScratch s;
    std::vector<float> f(size_t(seg.count) * size_t(feat_dim));
    proj->features(seg, s, f.data(), feat_dim);
    return f;
  };
  const Segment all{b.ids.data(), b.offsets.data(), int(b.size())};
  const std::vector<float> cold = features(all);
  const std::vector<float> warm = features(all);
  EXPECT_EQ(cold, warm);
  for (int i = 0; i < all.count; ++i) {
    const Segment one{b.ids.data() + b.offsets[size_t(i)], b.offsets.data() + i, 1};
    const std::vector<float> alone = features(one);
    const std::vector<float> in_batch(warm.begin() + long(i) * feat_dim,
                                      warm.begin() + long(i + 1) * feat_dim);
    EXPECT_EQ(alone, in_batch) << "example " << i;
  }
  // Probabilities: the dense head is one sgemm over the batch, whose rounding may depend on the
  // batch size (BLAS kernels), so alone and in a batch agree to rounding; the GEMM conv path too.
  const std::vector<float> batch_p = probabilities(net, b, proj.get());
  const std::vector<float> gemm_p = probabilities(net, b, nullptr);
  const size_t classes = size_t(net.num_classes());
  for (size_t i = 0; i < b.size(); ++i) {
    Batch one;
    one.add(b.ids.data() + b.offsets[i], size_t(b.length(i)));
    const std::vector<float> alone = probabilities(net, one, proj.get());
    for (size_t k = 0; k < classes; ++k) {
      EXPECT_NEAR(alone[k], batch_p[i * classes + k], 1e-6) << i;
      EXPECT_NEAR(gemm_p[i * classes + k], batch_p[i * classes + k], 1e-4) << i;
    }
  }
}

}  // namespace
}  // namespace fenlei::nn
