#include "quant/bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace fenlei::quant {
namespace {

uint32_t bits_of(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

TEST(Bf16, ConversionRoundsToNearestEvenWithDenormalsAsZero) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xC000);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to even (1).
  EXPECT_EQ(float_to_bf16(1.0f + 1.0f / 256), 0x3F80);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: to even, up.
  EXPECT_EQ(float_to_bf16(1.0f + 3.0f / 256), 0x3F82);
  EXPECT_EQ(float_to_bf16(1.0f + 1.0f / 256 + 1.0f / 65536), 0x3F81);  // above half: up
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::denorm_min()), 0x8000);
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds to +inf
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
}

TEST(Bf16, Avx512ConversionEqualsReference) {
  if (!cpu_has_avx512bf16()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  std::mt19937 rng(5);
  std::uniform_int_distribution<uint32_t> any;
  std::vector<float> x(4099);
  for (float& v : x) {
    // Random bit patterns (every exponent, denormals included), NaNs replaced by values.
    const uint32_t b = any(rng);
    std::memcpy(&v, &b, 4);
    if (std::isnan(v)) v = 1.5f;
  }
  std::vector<uint16_t> got(x.size()), want(x.size());
  floats_to_bf16_avx512bf16(x.data(), static_cast<long>(x.size()), got.data());
  floats_to_bf16_ref(x.data(), static_cast<long>(x.size()), want.data());
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(got[i], want[i]) << "at " << i << " bits " << std::hex << bits_of(x[i]);
}

std::vector<uint16_t> random_bf16(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<uint16_t> v(n);
  for (uint16_t& b : v) b = float_to_bf16(d(*rng));
  return v;
}

TEST(Bf16, ReferenceIsTheDotProduct) {
  std::mt19937 rng(9);
  const int rows = 3, n = 5, k = 70;
  auto x = random_bf16(rows * k, &rng), w = random_bf16(n * k, &rng);
  std::vector<float> b = {0.5f, -1.0f, 2.0f, 0.0f, 3.0f}, y(rows * n);
  Bf16DenseCall c{x.data(), rows, k, w.data(), n, k, k, b.data(), y.data(), n, false};
  dense_bf16_ref(c);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < n; ++o) {
      double s = b[o];
      for (int p = 0; p < k; ++p) s += double(bf16_to_float(x[r * k + p])) * bf16_to_float(w[o * k + p]);
      EXPECT_NEAR(y[r * n + o], s, 1e-4);
    }
}

TEST(Bf16, Avx512Bf16EqualsReferenceBitForBit) {
  if (!cpu_has_avx512bf16()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  struct Shape {
    int rows, n, k, pad;
  };
  std::mt19937 rng(11);
  for (const Shape& s : {Shape{1, 1, 1, 0}, Shape{1, 7, 32, 0}, Shape{2, 4, 31, 3},
                         Shape{3, 5, 33, 1}, Shape{4, 8, 64, 0}, Shape{5, 13, 100, 2},
                         Shape{9, 6, 768, 0}}) {
    for (bool accumulate : {false, true}) {
      const int ldx = s.k + s.pad, ldw = s.k + s.pad, ldy = s.n + s.pad;
      auto x = random_bf16(size_t(s.rows) * ldx, &rng), w = random_bf16(size_t(s.n) * ldw, &rng);
      std::normal_distribution<float> d(0.0f, 1.0f);
      std::vector<float> b(s.n), y0(size_t(s.rows) * ldy);
      for (float& v : b) v = d(rng);
      for (float& v : y0) v = d(rng);
      std::vector<float> got = y0, want = y0;
      Bf16DenseCall c{x.data(), s.rows, ldx, w.data(), s.n, s.k, ldw, b.data(), got.data(), ldy,
                      accumulate};
      dense_bf16_avx512bf16(c);
      c.y = want.data();
      dense_bf16_ref(c);
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(bits_of(got[i]), bits_of(want[i]))
            << "rows " << s.rows << " n " << s.n << " k " << s.k << " at " << i << ": " << got[i]
            << " vs " << want[i];
    }
  }
}

// vdpbf16ps's DAZ and FTZ (bf16.h): denormal inputs read as zeros, tiny products and sums
// flushed. Values from every corner of bf16, and the reference held to the instruction on them.
TEST(Bf16, Avx512Bf16EqualsReferenceOnExtremeValues) {
  if (!cpu_has_avx512bf16()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  const float kinds[] = {0.0f,       -0.0f,    0x1p-130f,   -0x1p-133f, 0x1p-127f, 0x1p-126f,
                         -0x1p-126f, 0x1p-64f, -0x1.8p-63f, 0x1p-75f,   3e-20f,    1.0f,
                         -1.5f,      1e18f,    -3e17f,      0.1f};
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(std::size(kinds)) - 1);
  for (const int k : {2, 9, 64}) {
    const int rows = 5, n = 7;
    std::vector<uint16_t> x(size_t(rows) * k), w(size_t(n) * k);
    for (uint16_t& v : x) v = static_cast<uint16_t>(bits_of(kinds[pick(rng)]) >> 16);
    for (uint16_t& v : w) v = static_cast<uint16_t>(bits_of(kinds[pick(rng)]) >> 16);
    std::vector<float> got(size_t(rows) * n), want(got.size());
    Bf16DenseCall c{x.data(), rows, k, w.data(), n, k, k, nullptr, got.data(), n, false};
    dense_bf16_avx512bf16(c);
    c.y = want.data();
    dense_bf16_ref(c);
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(bits_of(got[i]), bits_of(want[i]))
          << "k " << k << " at " << i << ": " << got[i] << " vs " << want[i];
  }
}

// The flush is decided after rounding to 24 bits with an unbounded exponent (x86's tininess):
// 2^-126 - 3 * 2^-152 rounds there to 2^-126 - 2^-150, tiny, so 0; 2^-126 - 2^-152 rounds to
// 2^-126, kept. (std::fma's rounding onto the denormal grid gives 2^-126 for both.) The same
// case as the packed kernels' test (transformer/packed_bf16_test.cc): one step function.
TEST(Bf16, ResultsTinyAfterRoundingAreFlushed) {
  auto b = [](float f) { return static_cast<uint16_t>(bits_of(f) >> 16); };
  const std::vector<uint16_t> x = {b(0x1p-76f), b(0x1p-63f)};  // even, odd
  const std::vector<uint16_t> w = {b(-0x1.8p-75f), b(0x1p-63f), b(-0x1p-76f), b(0x1p-63f)};
  std::vector<Bf16DenseFn> fns = {dense_bf16_ref};
  if (cpu_has_avx512bf16()) fns.push_back(dense_bf16_avx512bf16);
  for (Bf16DenseFn fn : fns) {
    std::vector<float> y(2, 1.0f);
    fn(Bf16DenseCall{x.data(), 1, 2, w.data(), 2, 2, 2, nullptr, y.data(), 2, false});
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_FALSE(std::signbit(y[0]));
    EXPECT_EQ(y[1], 0x1p-126f);
  }
  // A denormal input is a zero: 2^-130 (denormal in bf16 as in float) times 2^120 would add
  // 2^-10 to 2 (representable); it adds nothing.
  const std::vector<uint16_t> dx = {b(0x1p-130f), b(1.0f)}, dw = {b(0x1p120f), b(2.0f)};
  float y = 0.0f;
  dense_bf16_ref(Bf16DenseCall{dx.data(), 1, 2, dw.data(), 1, 2, 2, nullptr, &y, 1, false});
  EXPECT_EQ(y, 2.0f);
}

}  // namespace
}  // namespace fenlei::quant
