// The fast im2col+sgemm conv block must match the scalar reference layers composed.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "grad_check.h"
#include "test_util.h"
#include "nn/conv1d.h"
#include "nn/dense.h"
#include "nn/embedding.h"
#include "nn/kernels_ref.h"

namespace fenlei::nn {
namespace {

using testing::random_vec;

TEST(Conv1dFast, MatchesReferenceForwardAndBackward) {
  std::mt19937 gen(11);
  const int vocab = 9, dim = 4, width = 3, filters = 6;
  // Ragged: lengths 7, 1 (shorter than the width: padded with id 0), 0 (empty), 3, 5.
  std::vector<std::vector<int32_t>> texts = {
      {3, 1, 4, 1, 5, 8, 2}, {7}, {}, {2, 6, 5}, {3, 5, 8, 8, 7}};
  std::vector<int32_t> ids, offsets{0};
  for (auto& t : texts) {
    ids.insert(ids.end(), t.begin(), t.end());
    offsets.push_back(static_cast<int32_t>(ids.size()));
  }
  const int m = static_cast<int>(texts.size());
  auto table = random_vec(vocab * dim, gen), w = random_vec(filters * width * dim, gen),
       b = random_vec(filters, gen, -0.3f, 0.3f), dfeat = random_vec(m * filters, gen);
  ConvScratch s;
  std::vector<float> feat(m * filters);
  Segment seg{ids.data(), offsets.data(), m};
  conv_pool_forward(table.data(), dim, w.data(), b.data(), width, filters, seg, s, feat.data(),
                    filters);
  std::vector<float> dw(w.size(), 0.f), db(filters, 0.f);
  for (int i = 0; i < m; ++i) {
    std::vector<int32_t> padded = texts[i];
    while (static_cast<int>(padded.size()) < width) padded.push_back(0);
    const int len = static_cast<int>(padded.size()), steps = len - width + 1;
    std::vector<float> x(len * dim), y(steps * filters), r(steps * filters), pooled(filters);
    std::vector<int32_t> am(filters);
    embedding_forward_ref(table.data(), dim, padded.data(), len, x.data());
    conv1d_forward_ref(x.data(), len, dim, w.data(), b.data(), width, filters, y.data());
    relu_forward_ref(y.data(), y.size(), r.data());
    max_pool_forward_ref(r.data(), steps, filters, pooled.data(), am.data());
    for (int f = 0; f < filters; ++f)
      EXPECT_NEAR(feat[i * filters + f], pooled[f], 1e-5) << "example " << i << " filter " << f;

    // Backward, reference: maxpool -> relu -> conv.
    std::vector<float> dr(steps * filters, 0.f), dy(steps * filters, 0.f), dx_ref(len * dim, 0.f),
        dw_ref(w.size(), 0.f), db_ref(filters, 0.f);
    max_pool_backward_ref(dfeat.data() + i * filters, am.data(), filters, dr.data());
    relu_backward_ref(y.data(), dr.data(), dr.size(), dy.data());
    conv1d_backward_ref(x.data(), len, dim, w.data(), width, filters, dy.data(), dx_ref.data(),
                        dw_ref.data(), db_ref.data());
    std::vector<float> dx(len * dim, 0.f), dw_i(w.size(), 0.f), db_i(filters, 0.f);
    conv_pool_backward_example(w.data(), dim, width, filters, s, i, dfeat.data() + i * filters,
                               dw_i.data(), db_i.data(), dx.data());
    for (size_t k = 0; k < dx.size(); ++k) EXPECT_NEAR(dx[k], dx_ref[k], 1e-5) << "dx " << k;
    for (size_t k = 0; k < dw_i.size(); ++k) EXPECT_NEAR(dw_i[k], dw_ref[k], 1e-5) << "dw " << k;
    for (int f = 0; f < filters; ++f) EXPECT_NEAR(db_i[f], db_ref[f], 1e-6);
  }
}

TEST(DenseFast, MatchesReference) {
  std::mt19937 gen(12);
  const int n = 5, in = 7, out = 3;
  auto x = random_vec(n * in, gen), w = random_vec(out * in, gen), b = random_vec(out, gen),
       dy = random_vec(n * out, gen);
  std::vector<float> y(n * out), y_ref(n * out);
  dense_forward(x.data(), n, in, w.data(), b.data(), out, y.data());
  dense_forward_ref(x.data(), n, in, w.data(), b.data(), out, y_ref.data());
  fenlei::testing::expect_array_near(y, y_ref, 1e-5);
  std::vector<float> dx(n * in, 0.f), dw(out * in, 0.5f), db(out, 0.5f);
  std::vector<float> dx_ref(n * in, 0.f), dw_ref(out * in, 0.5f), db_ref(out, 0.5f);
  dense_backward(x.data(), n, in, w.data(), out, dy.data(), dx.data(), dw.data(), db.data());
  dense_backward_ref(x.data(), n, in, w.data(), out, dy.data(), dx_ref.data(), dw_ref.data(),
                     db_ref.data());
  fenlei::testing::expect_array_near(dx, dx_ref, 1e-5);
  fenlei::testing::expect_array_near(dw, dw_ref, 1e-5);  // accumulates onto 0.5
  fenlei::testing::expect_array_near(db, db_ref, 1e-5);
}

TEST(MeanEmbedFast, MatchesReferenceAndHashIsStable) {
  // The bucket function is part of the model format: golden values.
  EXPECT_EQ(bigram_bucket(3, 7, 1000), 120);  // (3*116049371 + 7) % 1000
  EXPECT_EQ(bigram_bucket(2000000000, 2000000000, 2000000),
            static_cast<int32_t>((2000000000ULL * 116049371ULL + 2000000000ULL) % 2000000ULL));
  std::mt19937 gen(13);
  const int dim = 5, vocab = 8, buckets = 6;
  auto table = random_vec(vocab * dim, gen), btable = random_vec(buckets * dim, gen);
  std::vector<int32_t> tokens = {4, 2, 7, 2};
  int32_t bg[3];
  ASSERT_EQ(hash_bigrams(tokens.data(), 4, buckets, bg), 3);
  std::vector<float> y(dim);
  mean_embed_forward(table.data(), btable.data(), dim, tokens.data(), 4, bg, 3, y.data());
  // Reference: gather all 7 rows, then mean-pool.
  std::vector<float> rows(7 * dim), want(dim);
  embedding_forward_ref(table.data(), dim, tokens.data(), 4, rows.data());
  embedding_forward_ref(btable.data(), dim, bg, 3, rows.data() + 4 * dim);
  mean_pool_forward_ref(rows.data(), 7, dim, want.data());
  fenlei::testing::expect_array_near(y, want, 1e-6);
  // Empty text: zeros; a single token has no bigrams.
  mean_embed_forward(table.data(), btable.data(), dim, tokens.data(), 0, bg, 0, y.data());
  EXPECT_EQ(y, std::vector<float>(dim, 0.0f));
  EXPECT_EQ(hash_bigrams(tokens.data(), 1, buckets, bg), 0);
  EXPECT_EQ(hash_bigrams(tokens.data(), 4, 0, bg), 0);
}

}  // namespace
}  // namespace fenlei::nn
