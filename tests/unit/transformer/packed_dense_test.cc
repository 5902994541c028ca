#include "transformer/packed_dense.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "transformer/dense_kernels.h"
#include "transformer/packed_bf16.h"
#include "transformer/packed_int8.h"
#include "transformer/layers.h"

namespace fenlei::transformer {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(*rng);
  return v;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Rows 1..13 and 45 (row blocks of 12 / 3 and their balanced splits), outputs below, at and
// above a panel and not a multiple of it, k from 1 to a BERT FFN's width, strides wider than k.
struct Shape {
  int rows, n, k, pad;
};
const Shape kShapes[] = {{1, 1, 1, 0},    {1, 32, 16, 0},  {2, 5, 8, 3},    {3, 33, 17, 0},
                         {4, 64, 33, 5},  {5, 47, 64, 0},  {7, 16, 100, 2}, {12, 31, 31, 0},
                         {13, 70, 70, 1}, {45, 96, 768, 0}, {2, 40, 3072, 0}};

std::vector<PackedF32Fn> kernels() {
  std::vector<PackedF32Fn> k;
  if (cpu_has_avx512f()) k.push_back(packed_f32_avx512);
  if (cpu_has_avx2_fma()) k.push_back(packed_f32_avx2);
  return k;
}

TEST(PackedDense, PackUnpackIsExact) {
  std::mt19937 rng(1);
  for (const Shape& s : kShapes) {
    auto w = random_vec(static_cast<size_t>(s.n) * s.k, &rng);
    const PackedF32 p = pack_f32(w.data(), s.n, s.k, s.k);
    EXPECT_TRUE(bit_equal(unpack_f32(p), w)) << s.n << " x " << s.k;
    EXPECT_EQ(p.panels.size(), static_cast<size_t>((s.n + 31) / 32) * 32 * s.k);
  }
}

// The panels are read 64 bytes at a time: every packed form starts on a cache line (the default
// allocator gives 16 bytes, and every load straddled two lines).
TEST(PackedDense, PanelsStartOnACacheLine) {
  std::mt19937 rng(3);
  for (const Shape& s : kShapes) {
    auto w = random_vec(static_cast<size_t>(s.n) * s.k, &rng);
    const PackedF32 p = pack_f32(w.data(), s.n, s.k, s.k);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p.panels.data()) % 64, 0u) << s.n << " x " << s.k;
    std::vector<uint16_t> wb(w.size(), 0x3f80);
    const PackedBf16 pb = pack_bf16(wb.data(), s.n, s.k, s.k);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pb.panels.data()) % 64, 0u) << s.n << " x " << s.k;
    std::vector<int8_t> wq(w.size(), 1);
    const PackedInt8 pq = pack_int8(wq.data(), s.n, s.k, s.k);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pq.panels.data()) % 64, 0u) << s.n << " x " << s.k;
  }
}

// Packing into storage that held other values (attention packs each head per call, without
// clearing it first) gives exactly a fresh pack: the weights, and 0 past n.
TEST(PackedDense, PackingIntoUsedStorageEqualsAFreshPack) {
  std::mt19937 rng(4);
  PackedF32 reused, reused_t;
  for (const Shape& s : {Shape{0, 70, 33, 0}, Shape{0, 5, 8, 0}, Shape{0, 40, 64, 0}, Shape{0, 33, 17, 0}}) {
    std::fill(reused.panels.begin(), reused.panels.end(), std::nanf(""));
    std::fill(reused_t.panels.begin(), reused_t.panels.end(), std::nanf(""));
    auto w = random_vec(static_cast<size_t>(s.n) * s.k, &rng);
    pack_f32_into(w.data(), s.n, s.k, s.k, &reused);
    const PackedF32 fresh = pack_f32(w.data(), s.n, s.k, s.k);
    ASSERT_EQ(reused.panels.size(), fresh.panels.size());
    EXPECT_EQ(std::memcmp(reused.panels.data(), fresh.panels.data(), fresh.panels.size() * sizeof(float)), 0)
        << s.n << " x " << s.k;
    // The transposed form from t = w^T (k x n): the same panels.
    std::vector<float> t(w.size());
    for (int o = 0; o < s.n; ++o)
      for (int i = 0; i < s.k; ++i) t[static_cast<size_t>(i) * s.n + o] = w[static_cast<size_t>(o) * s.k + i];
    pack_f32_transposed_into(t.data(), s.n, s.k, s.n, &reused_t);
    ASSERT_EQ(reused_t.panels.size(), fresh.panels.size());
    EXPECT_EQ(std::memcmp(reused_t.panels.data(), fresh.panels.data(), fresh.panels.size() * sizeof(float)), 0)
        << s.n << " x " << s.k;
  }
}

TEST(PackedDense, ReferenceIsTheProductWithBiasAndResidual) {
  std::mt19937 rng(2);
  const int rows = 3, n = 37, k = 29;
  auto x = random_vec(rows * k, &rng), w = random_vec(n * k, &rng), b = random_vec(n, &rng);
  auto y0 = random_vec(rows * n, &rng);
  const PackedF32 p = pack_f32(w.data(), n, k, k);
  std::vector<float> y = y0;
  PackedCall c{x.data(), rows, k, &p, b.data(), y.data(), n, PackedEpilogue::kAccumulate};
  packed_f32_ref(c);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < n; ++o) {
      double s = b[o] + y0[r * n + o];
      for (int i = 0; i < k; ++i) s += double(x[r * k + i]) * w[o * k + i];
      EXPECT_NEAR(y[r * n + o], s, 1e-4) << r << " " << o;
    }
}

TEST(PackedDense, GeluEpilogueEqualsActivateAfterTheProduct) {
  std::mt19937 rng(3);
  const int rows = 5, n = 64, k = 40;
  auto x = random_vec(rows * k, &rng), w = random_vec(n * k, &rng), b = random_vec(n, &rng);
  const PackedF32 p = pack_f32(w.data(), n, k, k);
  std::vector<float> plain(rows * n), fused(rows * n);
  PackedCall c{x.data(), rows, k, &p, b.data(), plain.data(), n, PackedEpilogue::kStore};
  packed_f32_ref(c);
  activate(hf::Activation::kGeluErf, plain.data(), rows * n);
  c.y = fused.data();
  c.epilogue = PackedEpilogue::kGelu;
  packed_f32_ref(c);
  EXPECT_TRUE(bit_equal(plain, fused));
}

TEST(PackedDense, FastKernelsEqualTheReferenceBitForBit) {
  std::mt19937 rng(4);
  for (PackedF32Fn fast : kernels()) {
    for (const Shape& s : kShapes) {
      for (bool bias : {false, true}) {
        for (PackedEpilogue e : {PackedEpilogue::kStore, PackedEpilogue::kAccumulate, PackedEpilogue::kGelu}) {
          const int ldx = s.k + s.pad, ldy = s.n + s.pad;
          auto x = random_vec(static_cast<size_t>(s.rows) * ldx, &rng);
          auto w = random_vec(static_cast<size_t>(s.n) * s.k, &rng);
          auto b = random_vec(s.n, &rng);
          auto y0 = random_vec(static_cast<size_t>(s.rows) * ldy, &rng);
          const PackedF32 p = pack_f32(w.data(), s.n, s.k, s.k);
          std::vector<float> got = y0, want = y0;
          PackedCall c{x.data(), s.rows, ldx, &p, bias ? b.data() : nullptr, got.data(), ldy, e};
          fast(c);
          c.y = want.data();
          packed_f32_ref(c);
          EXPECT_TRUE(bit_equal(got, want)) << "rows " << s.rows << " n " << s.n << " k " << s.k
                                            << " bias " << bias << " epilogue " << int(e);
          for (int r = 0; r < s.rows; ++r)  // y's padding columns are never written
            for (int j = s.n; j < ldy; ++j)
              ASSERT_EQ(got[static_cast<size_t>(r) * ldy + j], y0[static_cast<size_t>(r) * ldy + j]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace fenlei::transformer
