// Gradients through bytes (the messages of data-parallel training): values and the sparse
// first-touch order survive, so adding decoded gradients gives the same bits as adding the
// originals; bytes that do not fit the layout are rejected, never read out of bounds.
#include "train/grads_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "nn/network.h"

namespace fenlei::train {
namespace {

nn::Network tiny_net() {
  nn::ModelConfig c = *nn::ModelConfig::preset("seed-cnn");
  c.vocab_size = 30;
  c.embed_dim = 3;
  c.filters = 4;
  c.widths = {2};
  c.num_classes = 3;
  return *nn::Network::create(c, 1);
}

// Random gradients with rows of the embedding touched in a scrambled order.
void fill(nn::Grads& g, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  g.zero();
  for (int i = 0; i < g.size(); ++i) {
    if (g.is_sparse(i)) {
      for (int32_t r : {17, 3, 29, 3, 8}) {
        float* row = g.touch_row(i, r);
        for (int64_t k = 0; k < g[i].cols(); ++k) row[k] = d(gen);
      }
    } else {
      for (float& x : g[i].data) x = d(gen);
    }
  }
}

TEST(GradsCodec, RoundTripKeepsValuesAndTouchOrder) {
  const nn::Network net = tiny_net();
  nn::Grads a = net.make_grads(), b = net.make_grads();
  fill(a, 1);
  std::string bytes;
  encode_grads(a, &bytes);
  fill(b, 2);  // stale content must be replaced, not merged
  ASSERT_TRUE(decode_grads(bytes, b).ok());
  for (int i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.dense(i), b.dense(i)) << a[i].name;
    EXPECT_EQ(a.touched_rows(i), b.touched_rows(i)) << a[i].name;
  }
  EXPECT_EQ(b.touched_rows(0), (std::vector<int32_t>{17, 3, 29, 8}));
}

TEST(GradsCodec, AddingDecodedGradientsEqualsAddingTheOriginals) {
  const nn::Network net = tiny_net();
  nn::Grads x = net.make_grads(), y = net.make_grads(), sum1 = net.make_grads(),
            sum2 = net.make_grads(), scratch = net.make_grads();
  fill(x, 3);
  fill(y, 4);
  y.touch_row(0, 5);  // a row only y has
  sum1.add(x);
  sum1.add(y);
  std::string bx, by;
  encode_grads(x, &bx);
  encode_grads(y, &by);
  ASSERT_TRUE(decode_grads(bx, sum2).ok());
  ASSERT_TRUE(decode_grads(by, scratch).ok());
  sum2.add(scratch);
  for (int i = 0; i < x.size(); ++i) {
    EXPECT_EQ(sum1.dense(i), sum2.dense(i));
    EXPECT_EQ(sum1.touched_rows(i), sum2.touched_rows(i));
  }
  EXPECT_EQ(sum1.global_norm(), sum2.global_norm());
}

TEST(GradsCodec, BytesThatDoNotFitAreDataLoss) {
  const nn::Network net = tiny_net();
  nn::Grads g = net.make_grads();
  fill(g, 5);
  std::string bytes;
  encode_grads(g, &bytes);
  for (size_t cut : {size_t(0), size_t(4), size_t(12), bytes.size() - 1}) {
    const Status s = decode_grads(std::string_view(bytes).substr(0, cut), g);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << cut;
  }
  EXPECT_EQ(decode_grads(bytes + "x", g).code(), StatusCode::kDataLoss);
  std::string bad = bytes;
  const int32_t out_of_range = 1000;
  std::memcpy(bad.data() + sizeof(int64_t), &out_of_range, sizeof out_of_range);  // first row id
  EXPECT_EQ(decode_grads(bad, g).code(), StatusCode::kDataLoss);
  std::string negative = bytes;
  const int64_t minus_one = -1;
  std::memcpy(negative.data(), &minus_one, sizeof minus_one);  // the row count
  EXPECT_EQ(decode_grads(negative, g).code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fenlei::train
