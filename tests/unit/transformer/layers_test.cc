#include "transformer/layers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "transformer/erf_rational.h"

namespace fenlei::transformer {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937* rng, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(*rng);
  return v;
}

void expect_near(const std::vector<float>& a, const std::vector<float>& b, float tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol) << "at " << i;
}

TEST(Layers, LinearMatchesReference) {
  std::mt19937 rng(1);
  for (int rows : {1, 5}) {
    Linear l{24, 10, random_vec(240, &rng), random_vec(10, &rng)};
    auto x = random_vec(rows * 24, &rng);
    std::vector<float> y(rows * 10), ref(rows * 10);
    linear(x.data(), rows, l, y.data());
    linear_ref(x.data(), rows, l, ref.data());
    expect_near(y, ref, 1e-4f);
  }
}

TEST(Layers, LayerNormMatchesReference) {
  std::mt19937 rng(2);
  for (int dim : {16, 37, 768}) {  // vector blocks, a tail, a real width
    auto x = random_vec(3 * dim, &rng, 3.0f);
    auto g = random_vec(dim, &rng), b = random_vec(dim, &rng);
    auto ref = x;
    layer_norm(x.data(), 3, dim, g.data(), b.data(), 1e-12f);
    layer_norm_ref(ref.data(), 3, dim, g.data(), b.data(), 1e-12f);
    expect_near(x, ref, 2e-5f);
  }
}

// Rows normalised four at a time (interleaved) equal each row normalised alone, bit for bit.
TEST(Layers, LayerNormRowBlocksEqualSingleRows) {
  std::mt19937 rng(12);
  for (int dim : {16, 128, 37}) {
    for (int rows : {4, 7, 9}) {
      auto x = random_vec(static_cast<size_t>(rows) * dim, &rng, 3.0f);
      auto g = random_vec(dim, &rng), b = random_vec(dim, &rng);
      auto one = x;
      layer_norm(x.data(), rows, dim, g.data(), b.data(), 1e-12f);
      for (int r = 0; r < rows; ++r)
        layer_norm(one.data() + static_cast<long>(r) * dim, 1, dim, g.data(), b.data(), 1e-12f);
      for (size_t i = 0; i < x.size(); ++i)
        ASSERT_EQ(std::memcmp(&x[i], &one[i], sizeof(float)), 0) << dim << " " << rows << " " << i;
    }
  }
}

TEST(Layers, ActivationsMatchReference) {
  // Known values: gelu(1) = 0.8413447, tanh approximation 0.8411920.
  EXPECT_NEAR(activate_ref(hf::Activation::kGeluErf, 1.0f), 0.8413447f, 1e-6f);
  EXPECT_NEAR(activate_ref(hf::Activation::kGeluTanh, 1.0f), 0.8411920f, 1e-6f);
  for (auto act : {hf::Activation::kGeluErf, hf::Activation::kGeluTanh, hf::Activation::kRelu}) {
    std::vector<float> x = {-4.0f, -1.0f, -0.1f, 0.0f, 0.3f, 2.0f, 7.0f};
    std::vector<float> ref;
    for (float v : x) ref.push_back(activate_ref(act, v));
    activate(act, x.data(), static_cast<long>(x.size()));
    expect_near(x, ref, 1e-6f);
  }
}

TEST(Layers, FastGeluErfIsWithinFloatPrecisionEverywhere) {
  std::vector<float> x, ref;
  for (float v = -12.0f; v <= 12.0f; v += 0.001f) {
    x.push_back(v);
    ref.push_back(activate_ref(hf::Activation::kGeluErf, v));
  }
  activate(hf::Activation::kGeluErf, x.data(), static_cast<long>(x.size()));
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_NEAR(x[i], ref[i], 2e-6f * std::max(1.0f, std::fabs(ref[i]))) << "at " << ref[i];
}

TEST(Layers, RationalGeluMatchesStdErfGelu) {
  // The scalar reference against 0.5 x (1 + std::erf(x / sqrt 2)) in double, and the erf alone.
  double worst = 0;
  for (float v = -12.0f; v <= 12.0f; v += 0.0007f) {
    const double x = v;
    const double want = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    const double err = std::fabs(gelu_erf1(v) - want) / std::max(1.0, std::fabs(want));
    worst = std::max(worst, err);
    ASSERT_LE(err, 2e-6) << "at " << v;
    ASSERT_NEAR(erf_rational(v), std::erf(std::min(4.0, std::max(-4.0, x))), 6e-7) << "at " << v;
  }
  EXPECT_GT(worst, 0.0);
}

TEST(Layers, GeluSimdEqualsItsScalarReferenceBitForBit) {
  std::vector<float> x, want;
  for (float v = -12.0f; v <= 12.0f; v += 0.00037f) x.push_back(v);
  std::mt19937 rng(5);
  std::normal_distribution<float> d(0.0f, 3.0f);
  for (int i = 0; i < 4099; ++i) x.push_back(d(rng));
  for (float v : x) want.push_back(gelu_erf1(v));
  activate(hf::Activation::kGeluErf, x.data(), static_cast<long>(x.size()));
#if defined(__x86_64__)
  const bool avx512 = __builtin_cpu_supports("avx512f");
#else
  const bool avx512 = false;
#endif
  for (size_t i = 0; i < x.size(); ++i) {
    if (avx512)  // the SSE fallback (no FMA) may differ by an ulp or two
      ASSERT_EQ(std::memcmp(&x[i], &want[i], sizeof(float)), 0)
          << i << " " << x[i] << " " << want[i];
    else
      ASSERT_NEAR(x[i], want[i], 1e-6f * std::max(1.0f, std::fabs(want[i]))) << i;
  }
}

TEST(Layers, SelfAttentionMatchesReference) {
  std::mt19937 rng(3);
  const int len = 7, hidden = 16, heads = 4;
  auto qkv = random_vec(len * 3 * hidden, &rng);
  std::vector<float> ctx(len * hidden), ref(len * hidden);
  self_attention(qkv.data(), len, len, hidden, heads, ctx.data());
  self_attention_ref(qkv.data(), len, hidden, heads, ref.data());
  expect_near(ctx, ref, 1e-5f);
  // Only the first query row: the same values as the full computation's first row.
  std::vector<float> first(len * hidden, 0.0f);
  self_attention(qkv.data(), len, 1, hidden, heads, first.data());
  for (int i = 0; i < hidden; ++i) EXPECT_NEAR(first[i], ref[i], 1e-5f);
}

}  // namespace
}  // namespace fenlei::transformer
