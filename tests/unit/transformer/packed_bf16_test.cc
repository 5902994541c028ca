#include "transformer/packed_bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "quant/bf16.h"
#include "transformer/layers.h"

namespace fenlei::transformer {
namespace {

std::vector<uint16_t> random_bf16(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> f(n);
  for (float& x : f) x = d(*rng);
  std::vector<uint16_t> b(n);
  quant::floats_to_bf16_ref(f.data(), static_cast<long>(n), b.data());
  return b;
}

std::vector<float> random_f(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> f(n);
  for (float& x : f) x = d(*rng);
  return f;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

struct Shape {
  int rows, n, k;
};
const Shape kShapes[] = {{1, 1, 2},   {1, 32, 16},  {2, 5, 7},     {3, 33, 17},  {12, 64, 34},
                         {13, 47, 64}, {45, 96, 256}, {2, 40, 1024}};

// x rows in bf16 padded to even k with a 0.
std::vector<uint16_t> padded_x(const std::vector<uint16_t>& x, int rows, int k, int kp) {
  std::vector<uint16_t> out(static_cast<size_t>(rows) * kp, 0);
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < k; ++i) out[static_cast<size_t>(r) * kp + i] = x[static_cast<size_t>(r) * k + i];
  return out;
}

TEST(PackedBf16, PackUnpackIsExact) {
  std::mt19937 rng(1);
  for (const Shape& s : kShapes) {
    auto w = random_bf16(static_cast<size_t>(s.n) * s.k, &rng);
    EXPECT_EQ(unpack_bf16(pack_bf16(w.data(), s.n, s.k, s.k)), w) << s.n << " x " << s.k;
  }
}

TEST(PackedBf16, ReferenceIsTheProductOfTheBf16Values) {
  std::mt19937 rng(2);
  const int rows = 3, n = 37, k = 29, kp = 30;
  auto x = random_bf16(rows * k, &rng), w = random_bf16(n * k, &rng);
  auto b = random_f(n, &rng);
  const PackedBf16 p = pack_bf16(w.data(), n, k, k);
  const auto xp = padded_x(x, rows, k, kp);
  std::vector<float> y(rows * n);
  PackedBf16Call c{xp.data(), rows, kp, &p, b.data(), y.data(), n, PackedEpilogue::kStore};
  packed_bf16_ref(c);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < n; ++o) {
      double s = b[o];
      for (int i = 0; i < k; ++i)
        s += double(quant::bf16_to_float(x[r * k + i])) * quant::bf16_to_float(w[o * k + i]);
      EXPECT_NEAR(y[r * n + o], s, 1e-4) << r << " " << o;
    }
}

TEST(PackedBf16, FastKernelEqualsTheReferenceBitForBit) {
  if (!quant::cpu_has_avx512bf16()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  std::mt19937 rng(4);
  for (const Shape& s : kShapes) {
    for (PackedEpilogue e : {PackedEpilogue::kStore, PackedEpilogue::kAccumulate, PackedEpilogue::kGelu}) {
      const int kp = (s.k + 1) / 2 * 2;
      auto x = padded_x(random_bf16(static_cast<size_t>(s.rows) * s.k, &rng), s.rows, s.k, kp);
      auto w = random_bf16(static_cast<size_t>(s.n) * s.k, &rng);
      auto b = random_f(s.n, &rng);
      auto y0 = random_f(static_cast<size_t>(s.rows) * s.n, &rng);
      const PackedBf16 p = pack_bf16(w.data(), s.n, s.k, s.k);
      std::vector<float> got = y0, want = y0;
      PackedBf16Call c{x.data(), s.rows, kp, &p, b.data(), got.data(), s.n, e};
      packed_bf16_avx512bf16(c);
      c.y = want.data();
      packed_bf16_ref(c);
      EXPECT_TRUE(bit_equal(got, want)) << "rows " << s.rows << " n " << s.n << " k " << s.k
                                        << " epilogue " << int(e);
    }
  }
}

}  // namespace
}  // namespace fenlei::transformer
