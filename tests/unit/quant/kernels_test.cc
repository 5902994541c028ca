// The int8 kernels: every fast path must equal the scalar reference exactly, and the reference
// must equal the definition (sum of (a-128)*w in int32).
#include "quant/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "quant/half.h"

namespace fenlei::quant {
namespace {

struct Case {
  int m, n, k;
};

std::vector<uint8_t> random_activations(std::mt19937& rng, int m, int k, int kp, bool extreme) {
  std::vector<uint8_t> a(size_t(m) * kp, kActivationZero);
  std::uniform_int_distribution<int> d(-127, 127);
  for (int i = 0; i < m; ++i)
    for (int p = 0; p < k; ++p)
      a[size_t(i) * kp + p] = uint8_t((extreme ? (d(rng) >= 0 ? 127 : -127) : d(rng)) + 128);
  return a;
}

std::vector<int8_t> random_weights(std::mt19937& rng, int n, int k, bool extreme) {
  std::vector<int8_t> w(size_t(n) * k);
  std::uniform_int_distribution<int> d(-127, 127);
  for (auto& v : w) v = int8_t(extreme ? (d(rng) >= 0 ? 127 : -127) : d(rng));
  return w;
}

void check_all_kernels(const Case& c, bool extreme, uint32_t seed) {
  std::mt19937 rng(seed);
  const PackedWeights w = pack_weights(random_weights(rng, c.n, c.k, extreme).data(), c.n, c.k);
  const auto a = random_activations(rng, c.m, c.k, w.kp, extreme);
  std::vector<int32_t> ref(size_t(c.m) * c.n, -1), fast(size_t(c.m) * c.n, -2);
  gemm_u8s8_ref(a.data(), c.m, w, ref.data());
  // The definition, independently of the packing.
  for (int i = 0; i < c.m; ++i)
    for (int j = 0; j < c.n; ++j) {
      int64_t s = 0;
      for (int p = 0; p < c.k; ++p)
        s += (int64_t(a[size_t(i) * w.kp + p]) - 128) * int64_t(w.rows[size_t(j) * w.kp + p]);
      ASSERT_EQ(ref[size_t(i) * c.n + j], s) << "i=" << i << " j=" << j;
    }
  if (cpu_has_avx2()) {
    gemm_u8s8_avx2(a.data(), c.m, w, fast.data());
    EXPECT_EQ(fast, ref) << "avx2 m=" << c.m << " n=" << c.n << " k=" << c.k;
  }
  if (cpu_has_avx512vnni()) {
    std::fill(fast.begin(), fast.end(), -3);
    gemm_u8s8_avx512vnni(a.data(), c.m, w, fast.data());
    EXPECT_EQ(fast, ref) << "avx512vnni m=" << c.m << " n=" << c.n << " k=" << c.k;
  }
  std::fill(fast.begin(), fast.end(), -4);
  best_gemm()(a.data(), c.m, w, fast.data());
  EXPECT_EQ(fast, ref) << best_gemm_name();
}

TEST(Int8Gemm, FastPathsMatchReferenceExactly) {
  // Odd sizes exercise every tail: rows not a multiple of 8 or of the VNNI kernel's 12-row tile
  // (every height 1..12 occurs), channels not of 16 or 4 and odd numbers of 16-channel blocks
  // (its 2-block tiles and the single last block), k not of 4 or 16; the real layer shapes
  // (seed-cnn 80x128, textcnn 640x100, heads, a dpcnn conv 250x750, an LSTM step 512x128) are
  // included.
  const std::vector<Case> cases = {{1, 1, 1},    {1, 2, 3},    {3, 5, 7},     {8, 16, 16},
                                   {9, 17, 17},  {13, 33, 63}, {2, 128, 80},  {37, 100, 384},
                                   {64, 100, 640}, {5, 1, 300}, {17, 3, 1000}, {100, 128, 80},
                                   {12, 32, 64}, {24, 48, 20}, {10, 250, 750}, {11, 512, 128},
                                   {4, 47, 9},  {6, 64, 33},  {7, 80, 5}};
  uint32_t seed = 1;
  for (const Case& c : cases) {
    check_all_kernels(c, false, seed++);
    check_all_kernels(c, true, seed++);  // saturating values: +-127 everywhere
  }
}

TEST(Int8Gemm, ReportsAKernel) {
  const std::string name = best_gemm_name();
  EXPECT_TRUE(name == "ref" || name == "avx2" || name == "avx512vnni") << name;
  if (cpu_has_avx512vnni()) {
    EXPECT_EQ(name, "avx512vnni");
  }
}

TEST(QuantizeRows, SymmetricWithAmaxOver127AndPadding) {
  const std::vector<float> x = {0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f};
  std::vector<uint8_t> q(8, 0);
  std::vector<float> s(2);
  quantize_rows_u8(x.data(), 2, 3, 4, q.data(), s.data());
  EXPECT_FLOAT_EQ(s[0], 1.0f / 127.0f);
  EXPECT_EQ(int(q[0]) - 128, 64);    // 0.5 * 127 = 63.5 -> 64 (round half to even)
  EXPECT_EQ(int(q[1]) - 128, -127);
  EXPECT_EQ(int(q[2]) - 128, 32);    // 31.75 -> 32
  EXPECT_EQ(q[3], 128);              // padding is zero
  EXPECT_EQ(s[1], 1.0f);             // amax == 0 -> d = 1
  for (int p = 4; p < 8; ++p) EXPECT_EQ(q[size_t(p)], 128);
}

TEST(QuantizeRows, Avx2AndAvx512EqualReferenceBitForBit) {
  using Fn = void (*)(const float*, int, int, int, uint8_t*, float*);
  std::vector<Fn> fns;
  if (cpu_has_avx2()) fns.push_back(quantize_rows_u8_avx2);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
    fns.push_back(quantize_rows_u8_avx512);
  if (fns.empty()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937 rng(11);
  std::normal_distribution<float> d(0.0f, 2.0f);
  for (Fn fast : fns)
    for (int k : {1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100, 128, 300, 301, 512, 768}) {
      const int m = 5, kp = padded_k(k);
      std::vector<float> x(size_t(m) * size_t(k));
      for (auto& v : x) v = d(rng);
      // Row 1: values -2..2, so +-1 * 127/2 = +-63.5 are exact ties; row 2 all zeros.
      for (int p = 0; p < k; ++p) x[size_t(k) + size_t(p)] = float(p % 5) - 2.0f;
      for (int p = 0; p < k; ++p) x[2 * size_t(k) + size_t(p)] = 0.0f;
      std::vector<uint8_t> qa(size_t(m) * size_t(kp), 1), qb(qa.size(), 2);
      std::vector<float> sa(static_cast<size_t>(m)), sb(static_cast<size_t>(m));
      quantize_rows_u8_ref(x.data(), m, k, kp, qa.data(), sa.data());
      fast(x.data(), m, k, kp, qb.data(), sb.data());
      ASSERT_EQ(qa, qb) << "k " << k;
      ASSERT_EQ(sa, sb) << "k " << k;
    }
}

// The window rows of a width-3 conv over ReLU(x), quantised without writing them as floats,
// equal writing them (zeros outside each text, as nn's im2col) and quantize_rows_u8 on them,
// bit for bit: texts of 0 to 5 rows, channels that are and are not a multiple of 16, negative
// values (ReLU), -0, NaN (ReLU's v > 0 ? v : 0 makes it 0), an all-negative text (scale 1), and
// a padded kp.
TEST(QuantizeWindows, EqualsIm2colThenQuantizeRowsBitForBit) {
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> d(-3.0f, 2.0f);
  for (const int ch : {1, 7, 16, 37, 250}) {
    const std::vector<int32_t> row_start = {0, 0, 1, 3, 8, 10, 10, 15};
    const int count = int(row_start.size()) - 1, rows = row_start.back();
    std::vector<float> x(size_t(rows) * ch);
    for (float& v : x) v = d(rng);
    x[0] = -0.0f;
    x[size_t(ch) * 3 + ch / 2] = std::nanf("");
    for (int c = 0; c < 2 * ch; ++c) x[size_t(ch) * 8 + c] = -1.0f - float(c);  // text [8, 10) < 0
    const int kp = padded_k(3 * ch) + 4;
    std::vector<float> col(size_t(rows) * 3 * ch);
    for (int i = 0; i < count; ++i)
      for (int r = row_start[i]; r < row_start[i + 1]; ++r)
        for (int j = 0; j < 3; ++j) {
          const int src = r - 1 + j;
          for (int c = 0; c < ch; ++c) {
            const float v =
                src < row_start[i] || src >= row_start[i + 1] ? 0.0f : x[size_t(src) * ch + c];
            col[(size_t(r) * 3 + j) * ch + c] = v > 0.0f ? v : 0.0f;
          }
        }
    std::vector<uint8_t> want(size_t(rows) * kp, 1), got(want.size(), 2);
    std::vector<float> want_scale(size_t(rows), -1.0f), got_scale(want_scale.size(), -2.0f);
    quantize_rows_u8_ref(col.data(), rows, 3 * ch, kp, want.data(), want_scale.data());
    EXPECT_EQ(want_scale[8], 1.0f);
    quantize_windows3_relu_u8_ref(x.data(), ch, row_start.data(), count, kp, got.data(),
                                  got_scale.data());
    EXPECT_EQ(got, want) << "ref, ch " << ch;
    EXPECT_EQ(got_scale, want_scale) << "ref, ch " << ch;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) {
      std::fill(got.begin(), got.end(), 3);
      quantize_windows3_relu_u8_avx512(x.data(), ch, row_start.data(), count, kp, got.data(),
                                       got_scale.data());
      EXPECT_EQ(got, want) << "avx512, ch " << ch;
      EXPECT_EQ(got_scale, want_scale) << "avx512, ch " << ch;
    }
    std::fill(got.begin(), got.end(), 4);
    quantize_windows3_relu_u8(x.data(), ch, row_start.data(), count, kp, got.data(),
                              got_scale.data());
    EXPECT_EQ(got, want) << "dispatch, ch " << ch;
  }
}

TEST(Half, RoundTripsAndRoundsToNearest) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.9604645e-08f, 0.1f, 3.14159f}) {
    const float r = round_to_half(f);
    EXPECT_NEAR(r, f, std::fabs(f) * 1e-3f + 1e-7f) << f;
    EXPECT_EQ(round_to_half(r), r) << f;  // idempotent
  }
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(half_to_float(0x0001), 5.9604645e-08f);
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(1e6f))));
}

}  // namespace
}  // namespace fenlei::quant
