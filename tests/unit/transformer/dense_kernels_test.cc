#include "transformer/dense_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace fenlei::transformer {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(*rng);
  return v;
}

// Shapes that cover every tail: rows 1..9 (row blocks of 4 and 2 plus remainders), outputs not
// a multiple of 4, k below, at and above the vector widths and not a multiple of them, and
// strides wider than k (attention reads q and k rows out of the fused qkv buffer).
struct Shape {
  int rows, n, k, pad;
};
const Shape kShapes[] = {{1, 1, 1, 0},   {1, 7, 16, 0},  {2, 4, 8, 3},   {3, 5, 17, 0},
                         {4, 8, 33, 5},  {5, 13, 64, 0}, {7, 3, 100, 2}, {9, 10, 31, 0},
                         {6, 12, 768, 0}};

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_kernel(DenseF32Fn fast, int lanes) {
  std::mt19937 rng(7);
  for (const Shape& s : kShapes) {
    for (bool bias : {false, true}) {
      for (bool accumulate : {false, true}) {
        const int ldx = s.k + s.pad, ldw = s.k + 2 * s.pad, ldy = s.n + s.pad;
        auto x = random_vec(static_cast<size_t>(s.rows) * ldx, &rng);
        auto w = random_vec(static_cast<size_t>(s.n) * ldw, &rng);
        auto b = random_vec(s.n, &rng);
        auto y0 = random_vec(static_cast<size_t>(s.rows) * ldy, &rng);
        std::vector<float> got = y0, want = y0;
        DenseCall c;
        c.x = x.data();
        c.rows = s.rows;
        c.ldx = ldx;
        c.w = w.data();
        c.n = s.n;
        c.k = s.k;
        c.ldw = ldw;
        c.bias = bias ? b.data() : nullptr;
        c.ldy = ldy;
        c.accumulate = accumulate;
        c.y = got.data();
        fast(c);
        c.y = want.data();
        dense_f32_ref(lanes, c);
        EXPECT_TRUE(bit_equal(got, want))
            << "rows " << s.rows << " n " << s.n << " k " << s.k << " bias " << bias << " acc "
            << accumulate;
        // The padding columns of y are never written.
        for (int r = 0; r < s.rows; ++r)
          for (int j = s.n; j < ldy; ++j)
            ASSERT_EQ(got[static_cast<size_t>(r) * ldy + j], y0[static_cast<size_t>(r) * ldy + j]);
      }
    }
  }
}

TEST(DenseKernels, ReferenceIsTheDotProduct) {
  std::mt19937 rng(3);
  const int rows = 3, n = 5, k = 37;
  auto x = random_vec(rows * k, &rng), w = random_vec(n * k, &rng), b = random_vec(n, &rng);
  for (int lanes : {8, 16}) {
    std::vector<float> y(rows * n);
    DenseCall c{x.data(), rows, k, w.data(), n, k, k, b.data(), y.data(), n, false};
    dense_f32_ref(lanes, c);
    for (int r = 0; r < rows; ++r)
      for (int o = 0; o < n; ++o) {
        double s = b[o];
        for (int p = 0; p < k; ++p) s += double(x[r * k + p]) * w[o * k + p];
        EXPECT_NEAR(y[r * n + o], s, 1e-4) << lanes;
      }
  }
}

TEST(DenseKernels, Avx512EqualsReferenceBitForBit) {
  if (!cpu_has_avx512f()) GTEST_SKIP() << "no AVX-512F on this CPU";
  check_kernel(dense_f32_avx512, 16);
}

TEST(DenseKernels, Avx2EqualsReferenceBitForBit) {
  if (!cpu_has_avx2_fma()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  check_kernel(dense_f32_avx2, 8);
}

TEST(DenseKernels, BestKernelIsOneOfThem) {
  const std::string name = best_dense_f32_name();
  EXPECT_TRUE(name == "avx512" || name == "avx2" || name == "ref") << name;
  check_kernel(best_dense_f32(), name == "avx2" ? 8 : 16);
}

}  // namespace
}  // namespace fenlei::transformer
