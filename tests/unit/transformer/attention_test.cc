#include "transformer/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "transformer/dense_kernels.h"
#include "transformer/layers.h"

namespace fenlei::transformer {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937* rng, float sd = 1.0f) {
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = d(*rng);
  return v;
}

bool bit_equal(const float* a, const float* b, size_t n) {
  return std::memcmp(a, b, n * sizeof(float)) == 0;
}

std::vector<PackedF32Fn> kernels() {
  std::vector<PackedF32Fn> k{packed_f32_ref};
  if (cpu_has_avx512f()) k.push_back(packed_f32_avx512);
  if (cpu_has_avx2_fma()) k.push_back(packed_f32_avx2);
  return k;
}

TEST(Attention, ExpPolyIsWithinTwoUlpOfExp) {
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.00731f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(exp_poly(x) - want) / want);
  }
  EXPECT_LT(worst, 2.5e-7);  // 2 ulp of float: 2 * 2^-23 relative at worst, 1.2e-7 each
  EXPECT_EQ(exp_poly(0.0f), 1.0f);
  EXPECT_GT(exp_poly(-1000.0f), 0.0f);  // clamped to e^-87, never 0 or a NaN
  EXPECT_LT(exp_poly(-1000.0f), 2e-38f);
}

TEST(Attention, SoftmaxRowsEqualsItsReferenceBitForBit) {
  std::mt19937 rng(5);
  for (int len : {1, 2, 15, 16, 17, 33, 45, 64, 128}) {
    const int rows = 3, ld = len + 3;
    auto s = random_vec(static_cast<size_t>(rows) * ld, &rng, 4.0f);
    auto ref = s;
    softmax_rows(s.data(), rows, len, ld, 0.125f);
    softmax_rows_ref(ref.data(), rows, len, ld, 0.125f);
    EXPECT_TRUE(bit_equal(s.data(), ref.data(), s.size())) << len;  // padding untouched too
  }
}

// Rows four at a time (interleaved) and the rows left over: each still its reference.
TEST(Attention, SoftmaxRowBlocksEqualTheReferenceBitForBit) {
  std::mt19937 rng(15);
  for (int rows : {4, 5, 8, 11, 128})
    for (int len : {1, 17, 64, 128}) {
      const int ld = len + 1;
      auto s = random_vec(static_cast<size_t>(rows) * ld, &rng, 6.0f);
      auto ref = s;
      softmax_rows(s.data(), rows, len, ld, 0.125f);
      softmax_rows_ref(ref.data(), rows, len, ld, 0.125f);
      EXPECT_TRUE(bit_equal(s.data(), ref.data(), s.size())) << rows << " x " << len;
    }
}

TEST(Attention, SoftmaxRowsIsTheSoftmax) {
  std::mt19937 rng(6);
  const int len = 45;
  auto s = random_vec(len, &rng, 8.0f);
  const auto in = s;
  softmax_rows(s.data(), 1, len, len, 0.5f);
  double mx = -1e30, sum = 0;
  for (float v : in) mx = std::max(mx, 0.5 * v);
  for (float v : in) sum += std::exp(0.5 * v - mx);
  for (int j = 0; j < len; ++j) EXPECT_NEAR(s[j], std::exp(0.5 * in[j] - mx) / sum, 1e-6) << j;
}

TEST(Attention, PackTransposedEqualsPackOfTheTranspose) {
  std::mt19937 rng(7);
  const int n = 70, k = 13, ldt = 75;
  auto t = random_vec(static_cast<size_t>(k) * ldt, &rng);
  std::vector<float> w(static_cast<size_t>(n) * k);
  for (int o = 0; o < n; ++o)
    for (int i = 0; i < k; ++i) w[static_cast<size_t>(o) * k + i] = t[static_cast<size_t>(i) * ldt + o];
  PackedF32 a;
  pack_f32_transposed_into(t.data(), n, k, ldt, &a);
  const PackedF32 b = pack_f32(w.data(), n, k, k);
  EXPECT_EQ(a.n, b.n);
  EXPECT_EQ(a.k, b.k);
  ASSERT_EQ(a.panels.size(), b.panels.size());
  EXPECT_TRUE(bit_equal(a.panels.data(), b.panels.data(), a.panels.size()));
}

TEST(Attention, AttendHeadsMatchesTheReference) {
  std::mt19937 rng(8);
  struct Shape {
    int len, hidden, heads;
  };
  for (const Shape& sh : {Shape{1, 16, 4}, Shape{7, 16, 4}, Shape{45, 256, 4}, Shape{33, 96, 3},
                          Shape{128, 128, 2}}) {
    auto qkv = random_vec(static_cast<size_t>(sh.len) * 3 * sh.hidden, &rng);
    std::vector<float> ref(static_cast<size_t>(sh.len) * sh.hidden);
    self_attention_ref(qkv.data(), sh.len, sh.hidden, sh.heads, ref.data());
    for (PackedF32Fn fn : kernels()) {
      AttentionScratch s;
      std::vector<float> ctx(ref.size(), 0.0f);
      attend_heads(fn, qkv.data(), sh.len, sh.len, sh.hidden, sh.heads, 0, sh.heads, ctx.data(), &s);
      for (size_t i = 0; i < ctx.size(); ++i) ASSERT_NEAR(ctx[i], ref[i], 2e-5f) << sh.len << " " << i;
      // The heads one at a time (as threads split them), and only the first query row: the
      // same values bit for bit.
      std::vector<float> split(ref.size(), 0.0f), first(ref.size(), 0.0f);
      for (int h = 0; h < sh.heads; ++h)
        attend_heads(fn, qkv.data(), sh.len, sh.len, sh.hidden, sh.heads, h, h + 1, split.data(), &s);
      EXPECT_TRUE(bit_equal(split.data(), ctx.data(), ctx.size()));
      attend_heads(fn, qkv.data(), sh.len, 1, sh.hidden, sh.heads, 0, sh.heads, first.data(), &s);
      EXPECT_TRUE(bit_equal(first.data(), ctx.data(), sh.hidden));
    }
  }
}

// The fast kernels equal the scalar packed reference, so attention does too.
TEST(Attention, AttendHeadsIsTheSameOnEveryKernel) {
  std::mt19937 rng(9);
  const int len = 45, hidden = 256, heads = 4;
  auto qkv = random_vec(static_cast<size_t>(len) * 3 * hidden, &rng);
  std::vector<float> want(static_cast<size_t>(len) * hidden);
  AttentionScratch s;
  attend_heads(packed_f32_ref, qkv.data(), len, len, hidden, heads, 0, heads, want.data(), &s);
  for (PackedF32Fn fn : kernels()) {
    std::vector<float> got(want.size());
    attend_heads(fn, qkv.data(), len, len, hidden, heads, 0, heads, got.data(), &s);
    EXPECT_TRUE(bit_equal(got.data(), want.data(), want.size()));
  }
}

}  // namespace
}  // namespace fenlei::transformer
