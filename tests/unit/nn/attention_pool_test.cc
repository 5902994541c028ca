// Attention pooling (nn/attention_pool.h): the vectorised scores equal the scalar loop bit for
// bit, and the forward pass gives the softmax-weighted mean it documents.
#include "nn/attention_pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "nn/fast_math.h"
#include "nn/tanh_row.h"

namespace fenlei::nn {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed, float bound) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-bound, bound);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

TEST(AttentionPool, ScoresEqualReferenceBitExact) {
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "no AVX2";
  for (int len : {1, 2, 7, 8, 9, 15, 16, 17, 64, 128}) {
    for (int dim : {1, 3, 8, 100, 256}) {
      const std::vector<float> t = random_values(size_t(len) * dim, uint32_t(len * 1000 + dim), 1.0f);
      const std::vector<float> w = random_values(size_t(dim), uint32_t(dim), 2.0f);
      std::vector<float> ref(static_cast<size_t>(len)), got(static_cast<size_t>(len), -7.0f);
      attention_scores_ref(t.data(), len, dim, w.data(), ref.data());
      attention_scores_avx2(t.data(), len, dim, w.data(), got.data());
      EXPECT_EQ(0, std::memcmp(ref.data(), got.data(), sizeof(float) * size_t(len)))
          << "len=" << len << " dim=" << dim;
    }
  }
}

// feat = sum_p alpha_p o_p with alpha = softmax_p(w . tanh(o_p)), against double precision.
TEST(AttentionPool, ForwardIsTheSoftmaxWeightedMean) {
  const int len = 21, dim = 40;
  const std::vector<float> o = random_values(size_t(len) * dim, 3, 2.0f);
  const std::vector<float> w = random_values(size_t(dim), 4, 1.0f);
  std::vector<float> t(size_t(len) * dim), alpha(static_cast<size_t>(len)),
      feat(static_cast<size_t>(dim));
  attention_pool_forward(o.data(), len, dim, w.data(), t.data(), alpha.data(), feat.data());
  std::vector<double> s(static_cast<size_t>(len));
  double mx = -1e300, z = 0.0;
  for (int p = 0; p < len; ++p) {
    double v = 0.0;
    for (int j = 0; j < dim; ++j) {
      EXPECT_EQ(t[size_t(p * dim + j)], fast_tanh(o[size_t(p * dim + j)]));
      v += double(w[size_t(j)]) * std::tanh(double(o[size_t(p * dim + j)]));
    }
    s[size_t(p)] = v;
    mx = std::max(mx, v);
  }
  for (auto& v : s) z += (v = std::exp(v - mx));
  for (int j = 0; j < dim; ++j) {
    double want = 0.0;
    for (int p = 0; p < len; ++p) want += s[size_t(p)] / z * o[size_t(p * dim + j)];
    EXPECT_NEAR(feat[size_t(j)], want, 1e-5) << j;
  }
  for (int p = 0; p < len; ++p) EXPECT_NEAR(alpha[size_t(p)], s[size_t(p)] / z, 1e-6) << p;
}

}  // namespace
}  // namespace fenlei::nn

namespace fenlei::nn {
namespace {

// tanh_row (attention's and rcnn's tanh): every width equals the scalar fast_tanh bit for bit,
// including the tails and the clamped ends of exp's range.
TEST(TanhRow, EveryWidthEqualsScalarBitExact) {
  for (int n : {1, 7, 8, 15, 16, 17, 33, 256, 1000}) {
    std::vector<float> x = random_values(size_t(n), uint32_t(n), 6.0f);
    x[0] = 0.0f;
    if (n > 3) {
      x[1] = -0.0f;
      x[2] = 50.0f;   // 2x beyond exp's clamp at 88
      x[3] = -50.0f;
    }
    std::vector<float> ref(x.size()), got(x.size(), 7.0f);
    tanh_row_scalar(x.data(), ref.data(), n);
    for (int i = 0; i < n; ++i) ASSERT_EQ(ref[size_t(i)], fast_tanh(x[size_t(i)]));
    tanh_row_avx512(x.data(), got.data(), n);
    EXPECT_EQ(0, std::memcmp(ref.data(), got.data(), sizeof(float) * size_t(n))) << n;
    std::fill(got.begin(), got.end(), 7.0f);
    tanh_row(x.data(), got.data(), n);
    EXPECT_EQ(0, std::memcmp(ref.data(), got.data(), sizeof(float) * size_t(n))) << n;
    for (int i = 0; i < n; ++i)
      EXPECT_NEAR(ref[size_t(i)], std::tanh(double(x[size_t(i)])), 3e-7) << x[size_t(i)];
  }
}

}  // namespace
}  // namespace fenlei::nn
