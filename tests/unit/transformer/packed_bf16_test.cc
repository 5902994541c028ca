#include "transformer/packed_bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
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

bool cpu_has_avx512f() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

uint16_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<uint16_t>(u >> 16);  // f is exact in bf16 where this is used
}

// Runs fn and the reference (and vdpbf16ps where the CPU has it) on the same call; true when all
// give the same bits.
void expect_all_equal(PackedBf16Fn fn, const std::vector<uint16_t>& x, int rows, int kp,
                      const PackedBf16& p, const std::vector<float>& b,
                      const std::vector<float>& y0, PackedEpilogue e, const std::string& what) {
  std::vector<float> got = y0, want = y0;
  PackedBf16Call c{x.data(), rows, kp, &p, b.empty() ? nullptr : b.data(), got.data(), p.n, e};
  fn(c);
  c.y = want.data();
  packed_bf16_ref(c);
  EXPECT_TRUE(bit_equal(got, want)) << what;
  if (quant::cpu_has_avx512bf16()) {
    std::vector<float> dp = y0;
    c.y = dp.data();
    packed_bf16_avx512bf16(c);
    EXPECT_TRUE(bit_equal(dp, want)) << "vdpbf16ps, " << what;
  }
}

TEST(PackedBf16, FmaKernelEqualsTheReferenceBitForBit) {
  if (!cpu_has_avx512f()) GTEST_SKIP() << "no AVX-512F on this CPU";
  std::mt19937 rng(5);
  std::vector<Shape> shapes(std::begin(kShapes), std::end(kShapes));
  for (int rows = 1; rows <= 14; ++rows)
    for (int k : {1, 2, 7, 64, 768}) shapes.push_back({rows, rows % 2 ? 33 : 64, k});
  for (const Shape& s : shapes) {
    for (PackedEpilogue e :
         {PackedEpilogue::kStore, PackedEpilogue::kAccumulate, PackedEpilogue::kGelu}) {
      const int kp = (s.k + 1) / 2 * 2;
      auto x = padded_x(random_bf16(static_cast<size_t>(s.rows) * s.k, &rng), s.rows, s.k, kp);
      auto w = random_bf16(static_cast<size_t>(s.n) * s.k, &rng);
      const PackedBf16 p = pack_bf16(w.data(), s.n, s.k, s.k);
      expect_all_equal(packed_bf16_avx512fma, x, s.rows, kp, p, random_f(s.n, &rng),
                       random_f(static_cast<size_t>(s.rows) * s.n, &rng), e,
                       "rows " + std::to_string(s.rows) + " n " + std::to_string(s.n) + " k " +
                           std::to_string(s.k) + " epilogue " + std::to_string(int(e)));
    }
  }
}

// Values from every corner of bf16: denormals (which the instruction reads as zeros), signed
// zeros, tiny normals whose products underflow (flushed), large ones, mixed in every position.
TEST(PackedBf16, FmaKernelEqualsTheReferenceOnExtremeValues) {
  if (!cpu_has_avx512f()) GTEST_SKIP() << "no AVX-512F on this CPU";
  std::mt19937 rng(6);
  const float kinds[] = {0.0f,       -0.0f,    0x1p-130f,   -0x1p-133f, 0x1p-127f, 0x1p-126f,
                         -0x1p-126f, 0x1p-64f, -0x1.8p-63f, 0x1p-75f,   3e-20f,    1.0f,
                         -1.5f,      1e18f,    -3e17f,      0.1f};
  std::uniform_int_distribution<int> pick(0, std::size(kinds) - 1);
  for (int rows : {1, 3, 12, 13}) {
    for (int k : {2, 9, 64}) {
      const int n = 40, kp = (k + 1) / 2 * 2;
      std::vector<uint16_t> x(static_cast<size_t>(rows) * k), w(static_cast<size_t>(n) * k);
      for (uint16_t& v : x) v = bits_of(kinds[pick(rng)]);
      for (uint16_t& v : w) v = bits_of(kinds[pick(rng)]);  // denormals kept as they are
      // Bias with denormals: the epilogue runs without DAZ/FTZ, as the reference's.
      std::vector<float> b(n);
      for (float& v : b) v = kinds[pick(rng)];
      const PackedBf16 p = pack_bf16(w.data(), n, k, k);
      for (PackedEpilogue e : {PackedEpilogue::kStore, PackedEpilogue::kAccumulate})
        expect_all_equal(packed_bf16_avx512fma, padded_x(x, rows, k, kp), rows, kp, p, b,
                         std::vector<float>(static_cast<size_t>(rows) * n, 0x1p-140f), e,
                         "extreme rows " + std::to_string(rows) + " k " + std::to_string(k));
    }
  }
}

// The flush is decided after rounding to 24 bits with an unbounded exponent (x86's tininess):
// 2^-126 - 3 * 2^-152 rounds there to 2^-126 - 2^-150, tiny, so 0; 2^-126 - 2^-152 rounds to
// 2^-126, kept. (std::fma's rounding onto the denormal grid gives 2^-126 for both.)
TEST(PackedBf16, ResultsTinyAfterRoundingAreFlushed) {
  const std::vector<uint16_t> x = {bits_of(0x1p-76f), bits_of(0x1p-63f)};  // even, odd
  // Output 0: 2^-63 * 2^-63 = 2^-126, then + 2^-76 * (-3 * 2^-76); output 1: + 2^-76 * -2^-76.
  const std::vector<uint16_t> w = {bits_of(-0x1.8p-75f), bits_of(0x1p-63f), bits_of(-0x1p-76f),
                                   bits_of(0x1p-63f)};
  const PackedBf16 p = pack_bf16(w.data(), 2, 2, 2);
  std::vector<PackedBf16Fn> fns = {packed_bf16_ref};
  if (cpu_has_avx512f()) fns.push_back(packed_bf16_avx512fma);
  if (quant::cpu_has_avx512bf16()) fns.push_back(packed_bf16_avx512bf16);
  for (PackedBf16Fn fn : fns) {
    std::vector<float> y(2, 1.0f);
    fn(PackedBf16Call{x.data(), 1, 2, &p, nullptr, y.data(), 2, PackedEpilogue::kStore});
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_FALSE(std::signbit(y[0]));
    EXPECT_EQ(y[1], 0x1p-126f);
  }
}

TEST(PackedBf16, DispatchedKernelEqualsBoth) {
  const std::string name = best_packed_bf16_name();
  EXPECT_TRUE(name == "dpbf16" || name == "fma" || name == "ref") << name;
  std::mt19937 rng(7);
  for (const Shape& s : kShapes) {
    const int kp = (s.k + 1) / 2 * 2;
    auto x = padded_x(random_bf16(static_cast<size_t>(s.rows) * s.k, &rng), s.rows, s.k, kp);
    auto w = random_bf16(static_cast<size_t>(s.n) * s.k, &rng);
    const PackedBf16 p = pack_bf16(w.data(), s.n, s.k, s.k);
    expect_all_equal(best_packed_bf16(), x, s.rows, kp, p, random_f(s.n, &rng),
                     random_f(static_cast<size_t>(s.rows) * s.n, &rng), PackedEpilogue::kGelu,
                     "dispatched (" + name + ") rows " + std::to_string(s.rows));
  }
}

}  // namespace
}  // namespace fenlei::transformer
