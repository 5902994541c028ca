#include "transformer/packed_int8.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/kernels.h"

namespace fenlei::transformer {
namespace {

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

struct Shape {
  int rows, n, k;
};
const Shape kShapes[] = {{1, 1, 1},    {1, 32, 16},  {2, 5, 7},     {3, 33, 17},
                         {12, 64, 34}, {13, 47, 64}, {45, 96, 256}, {2, 40, 3072}};

struct Case {
  std::vector<int8_t> w;
  std::vector<uint8_t> x;
  std::vector<float> xs, ws, b;
};

Case random_case(const Shape& s, int kp, std::mt19937* rng) {
  std::uniform_int_distribution<int> q(-127, 127);
  std::uniform_real_distribution<float> u(0.001f, 0.05f);
  Case c;
  for (int i = 0; i < s.n * s.k; ++i) c.w.push_back(static_cast<int8_t>(q(*rng)));
  c.x.assign(static_cast<size_t>(s.rows) * kp, quant::kActivationZero);
  for (int r = 0; r < s.rows; ++r)
    for (int i = 0; i < s.k; ++i)
      c.x[static_cast<size_t>(r) * kp + i] = static_cast<uint8_t>(q(*rng) + 128);
  for (int r = 0; r < s.rows; ++r) c.xs.push_back(u(*rng));
  for (int o = 0; o < s.n; ++o) {
    c.ws.push_back(u(*rng));
    c.b.push_back(u(*rng) - 0.025f);
  }
  return c;
}

TEST(PackedInt8, PackKeepsEveryWeightAndItsColumnSum) {
  std::mt19937 rng(1);
  for (const Shape& s : kShapes) {
    const Case c = random_case(s, quant::padded_k(s.k), &rng);
    const PackedInt8 p = pack_int8(c.w.data(), s.n, s.k, s.k);
    for (int o = 0; o < s.n; ++o) {
      int32_t sum = 0;
      for (int i = 0; i < s.k; ++i) {
        ASSERT_EQ(packed_int8_at(p, o, i), c.w[static_cast<size_t>(o) * s.k + i]);
        sum += c.w[static_cast<size_t>(o) * s.k + i];
      }
      EXPECT_EQ(p.colsum[o], sum);
    }
  }
}

TEST(PackedInt8, ReferenceIsTheScaledIntegerProduct) {
  std::mt19937 rng(2);
  const Shape s{3, 37, 29};
  const int kp = quant::padded_k(s.k);
  const Case c = random_case(s, kp, &rng);
  const PackedInt8 p = pack_int8(c.w.data(), s.n, s.k, s.k);
  std::vector<float> y(s.rows * s.n);
  PackedInt8Call call{c.x.data(),  s.rows,     kp,       c.xs.data(), &p,
                      c.ws.data(), c.b.data(), y.data(), s.n,         PackedEpilogue::kStore};
  packed_int8_ref(call);
  for (int r = 0; r < s.rows; ++r)
    for (int o = 0; o < s.n; ++o) {
      long acc = 0;
      for (int i = 0; i < s.k; ++i) acc += (c.x[r * kp + i] - 128L) * c.w[o * s.k + i];
      EXPECT_NEAR(y[r * s.n + o], double(acc) * c.xs[r] * c.ws[o] + c.b[o], 1e-4) << r << " " << o;
    }
}

TEST(PackedInt8, FastKernelsEqualTheReferenceBitForBit) {
  std::vector<PackedInt8Fn> kernels;
  if (quant::cpu_has_avx512vnni()) kernels.push_back(packed_int8_avx512vnni);
  if (quant::cpu_has_avx2()) kernels.push_back(packed_int8_avx2);
  std::mt19937 rng(3);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (PackedInt8Fn fast : kernels) {
    for (const Shape& s : kShapes) {
      for (PackedEpilogue e :
           {PackedEpilogue::kStore, PackedEpilogue::kAccumulate, PackedEpilogue::kGelu}) {
        const int kp = quant::padded_k(s.k);
        const Case c = random_case(s, kp, &rng);
        const PackedInt8 p = pack_int8(c.w.data(), s.n, s.k, s.k);
        std::vector<float> y0(static_cast<size_t>(s.rows) * s.n);
        for (float& v : y0) v = d(rng);
        std::vector<float> got = y0, want = y0;
        PackedInt8Call call{c.x.data(),  s.rows,     kp,         c.xs.data(), &p,
                            c.ws.data(), c.b.data(), got.data(), s.n,         e};
        fast(call);
        call.y = want.data();
        packed_int8_ref(call);
        EXPECT_TRUE(bit_equal(got, want))
            << "rows " << s.rows << " n " << s.n << " k " << s.k << " epilogue " << int(e);
      }
    }
  }
}

// Every row count from 1 to 40 (each tile height 1..12 of the VNNI microkernel, alone and as the
// last of a balanced split: 13 = 7 + 6, 25 = 9 + 8 + 8, 37 = 10 + 9 + 9 + 9), two panels with a
// ragged second one, and a row stride larger than kp (a view into a wider buffer).
TEST(PackedInt8, FastKernelsEqualTheReferenceForEveryRowCount) {
  std::vector<PackedInt8Fn> kernels;
  if (quant::cpu_has_avx512vnni()) kernels.push_back(packed_int8_avx512vnni);
  if (quant::cpu_has_avx2()) kernels.push_back(packed_int8_avx2);
  std::mt19937 rng(4);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (PackedInt8Fn fast : kernels)
    for (int rows = 1; rows <= 40; ++rows)
      for (int k : {5, 68}) {
        const Shape s{rows, 45, k};
        const int kp = quant::padded_k(s.k), ldx = kp + 8;
        Case c = random_case(Shape{rows, s.n, ldx}, ldx, &rng);  // x: rows x ldx at random
        c.w.resize(static_cast<size_t>(s.n) * s.k);
        for (int r = 0; r < rows; ++r)  // the padding past k is 128 (zero) as the caller makes it
          for (int i = s.k; i < kp; ++i) c.x[static_cast<size_t>(r) * ldx + i] = quant::kActivationZero;
        const PackedInt8 p = pack_int8(c.w.data(), s.n, s.k, s.k);
        const PackedEpilogue e = rows % 3 == 0   ? PackedEpilogue::kStore
                                 : rows % 3 == 1 ? PackedEpilogue::kAccumulate
                                                 : PackedEpilogue::kGelu;
        std::vector<float> y0(static_cast<size_t>(rows) * s.n);
        for (float& v : y0) v = d(rng);
        std::vector<float> got = y0, want = y0;
        PackedInt8Call call{c.x.data(),  rows,       ldx,        c.xs.data(), &p,
                            c.ws.data(), c.b.data(), got.data(), s.n,         e};
        fast(call);
        call.y = want.data();
        packed_int8_ref(call);
        EXPECT_TRUE(bit_equal(got, want)) << "rows " << rows << " k " << k << " epilogue " << int(e);
      }
}

// Extreme values: every product at its largest magnitude, so the int32 sums are large and exact.
TEST(PackedInt8, FastKernelsAreExactAtTheExtremes) {
  if (!quant::cpu_has_avx512vnni()) GTEST_SKIP() << "no VNNI";
  const int rows = 12, n = 32, k = 3072, kp = quant::padded_k(k);
  std::vector<int8_t> w(static_cast<size_t>(n) * k);
  for (size_t i = 0; i < w.size(); ++i) w[i] = (i % 3 == 0) ? -127 : 127;
  std::vector<uint8_t> x(static_cast<size_t>(rows) * kp);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2 == 0) ? 255 : 1;
  const std::vector<float> xs(rows, 1.0f), ws(n, 1.0f), b(n, 0.0f);
  const PackedInt8 p = pack_int8(w.data(), n, k, k);
  std::vector<float> got(static_cast<size_t>(rows) * n), want = got;
  PackedInt8Call call{x.data(), rows, kp, xs.data(), &p, ws.data(), b.data(), got.data(), n,
                      PackedEpilogue::kStore};
  packed_int8_avx512vnni(call);
  call.y = want.data();
  packed_int8_ref(call);
  EXPECT_TRUE(bit_equal(got, want));
}

}  // namespace
}  // namespace fenlei::transformer
