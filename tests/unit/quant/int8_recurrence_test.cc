// The integer recurrence of the int8 recurrent models (quant/int8_recurrence.h): every SIMD kernel
// against its scalar reference bit for bit (int32 sums make the products exact), and whole
// directions against a plain scalar run of the same steps.
#include "quant/int8_recurrence.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "nn/conv1d.h"
#include "nn/packed_sequence.h"
#include "quant/int8_model.h"
#include "quant/kernels.h"

namespace fenlei::quant {
namespace {

std::vector<float> hidden_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = u(rng);
    // Exact halves between two levels (ties round to even) and the ends of the range.
    if (i % 7 == 3) v[i] = (float(int(v[i] * 100.0f)) + 0.5f) / 127.0f;
    if (i % 11 == 5) v[i] = i % 2 == 0 ? 1.0f : -1.0f;
  }
  return v;
}

Int8Linear random_int8_linear(int out, int in, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> q(-127, 127);
  std::uniform_real_distribution<float> s(0.001f, 0.02f);
  Int8Linear l;
  l.out = out;
  l.in = in;
  l.q.resize(size_t(out) * in);
  for (auto& v : l.q) v = int8_t(q(rng));
  l.scale.resize(size_t(out));
  for (auto& v : l.scale) v = s(rng);
  l.out_scale = l.scale;
  l.packed = pack_weights(l.q.data(), out, in);
  return l;
}

TEST(Int8Recurrence, QuantizeHiddenEqualsReferenceBitExact) {
  for (int k : {1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 64, 100, 128, 130}) {
    for (int m : {1, 2, 5, 9}) {
      const int kp = padded_k(k);
      const std::vector<float> h = hidden_values(size_t(m) * k, uint32_t(k * 31 + m));
      std::vector<uint8_t> ref(size_t(m) * kp, 0), got(ref.size(), 0);
      quantize_hidden_u8_ref(h.data(), m, k, kp, ref.data());
      for (size_t i = 0; i < size_t(m) * k; ++i) {
        const int q = int(ref[(i / k) * kp + i % k]) - kActivationZero;
        ASSERT_LE(std::abs(float(q) / 127.0f - h[i]), 0.5f / 127.0f + 1e-6f);
      }
      if (cpu_has_avx2()) {
        quantize_hidden_u8_avx2(h.data(), m, k, kp, got.data());
        EXPECT_EQ(got, ref) << "avx2 k=" << k << " m=" << m;
      }
      if (__builtin_cpu_supports("avx512f")) {
        std::fill(got.begin(), got.end(), 0);
        quantize_hidden_u8_avx512(h.data(), m, k, kp, got.data());
        EXPECT_EQ(got, ref) << "avx512 k=" << k << " m=" << m;
      }
      std::fill(got.begin(), got.end(), 0);
      quantize_hidden_u8(h.data(), m, k, kp, got.data());
      EXPECT_EQ(got, ref);
    }
  }
}

TEST(Int8Recurrence, GemvEqualsGemmReferenceBitExact) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int n : {1, 15, 16, 17, 48, 64, 80, 100, 384, 512}) {
    for (int k : {1, 4, 5, 24, 128, 131}) {
      const Int8Linear w = random_int8_linear(n, k, uint32_t(n + 1000 * k));
      for (int m : {1, 2, 7, 9}) {
        std::vector<uint8_t> a(size_t(m) * w.packed.kp, kActivationZero);
        for (int i = 0; i < m; ++i)
          for (int p = 0; p < k; ++p) a[size_t(i) * w.packed.kp + p] = uint8_t(byte(rng));
        std::vector<int32_t> ref(size_t(m) * n), got(ref.size(), -1);
        gemm_u8s8_ref(a.data(), m, w.packed, ref.data());
        if (cpu_has_avx512vnni()) {
          gemv_u8s8_avx512vnni(a.data(), m, w.packed, got.data());
          EXPECT_EQ(got, ref) << "n=" << n << " k=" << k << " m=" << m;
          std::fill(got.begin(), got.end(), -1);
        }
        best_gemv()(a.data(), m, w.packed, got.data());
        EXPECT_EQ(got, ref) << "best n=" << n << " k=" << k << " m=" << m;
      }
    }
  }
}

// The gate updates: the AVX2 + FMA and AVX-512 rows equal the scalar rows bit for bit, at step 0 (no sums, no
// previous state) and later, for hidden sizes with and without a scalar tail.
TEST(Int8Recurrence, GateRowsEqualReferenceBitExact) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::uniform_int_distribution<int> sums(-400000, 400000);
  for (int H : {1, 7, 8, 9, 15, 16, 17, 24, 40, 128, 130}) {
    std::vector<float> in(size_t(4 * H)), scale(size_t(4 * H)), b_hh(size_t(3 * H)),
        prev(static_cast<size_t>(H));
    std::vector<int32_t> acc(size_t(4 * H));
    for (auto& v : in) v = u(rng);
    for (auto& v : scale) v = std::abs(u(rng)) * 0.002f + 1e-4f;
    for (auto& v : b_hh) v = u(rng) * 0.1f;
    for (auto& v : prev) v = u(rng) / 3.0f;
    for (auto& v : acc) v = sums(rng);
    for (bool first : {true, false}) {
      const int32_t* a = first ? nullptr : acc.data();
      const float* p = first ? nullptr : prev.data();
      std::vector<float> c_ref(static_cast<size_t>(H)), h_ref(static_cast<size_t>(H)), c_got(static_cast<size_t>(H)), h_got(static_cast<size_t>(H));
      lstm_int8_row_ref(in.data(), a, scale.data(), H, p, c_ref.data(), h_ref.data());
      for (float v : h_ref) EXPECT_LE(std::abs(v), 1.0f);
      const std::pair<LstmInt8RowFn, bool> lstm_rows[] = {
          {&lstm_int8_row_avx2, gate_rows_have_avx2()},
          {&lstm_int8_row_avx512, gate_rows_have_avx512()},
          {best_lstm_int8_row(), true}};
      for (const auto& [row, runs] : lstm_rows) {
        if (!runs) continue;
        std::fill(c_got.begin(), c_got.end(), -2.0f);
        std::fill(h_got.begin(), h_got.end(), -2.0f);
        row(in.data(), a, scale.data(), H, p, c_got.data(), h_got.data());
        EXPECT_EQ(0, std::memcmp(c_ref.data(), c_got.data(), sizeof(float) * size_t(H))) << H;
        EXPECT_EQ(0, std::memcmp(h_ref.data(), h_got.data(), sizeof(float) * size_t(H))) << H;
      }
      gru_int8_row_ref(in.data(), a, scale.data(), b_hh.data(), H, p, h_ref.data());
      for (float v : h_ref) EXPECT_LE(std::abs(v), 1.0f);
      const std::pair<GruInt8RowFn, bool> gru_rows[] = {
          {&gru_int8_row_avx2, gate_rows_have_avx2()},
          {&gru_int8_row_avx512, gate_rows_have_avx512()},
          {best_gru_int8_row(), true}};
      for (const auto& [row, runs] : gru_rows) {
        if (!runs) continue;
        std::fill(h_got.begin(), h_got.end(), -2.0f);
        row(in.data(), a, scale.data(), b_hh.data(), H, p, h_got.data());
        EXPECT_EQ(0, std::memcmp(h_ref.data(), h_got.data(), sizeof(float) * size_t(H))) << H;
      }
    }
  }
}

// The rearranged gate arithmetic (two divisions per unit) against the textbook formulas in
// double precision.
TEST(Int8Recurrence, GateRowsMatchTextbookCells) {
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> u(-6.0f, 6.0f);
  std::uniform_int_distribution<int> sums(-100000, 100000);
  const int H = 64;
  std::vector<float> in(static_cast<size_t>(4 * H)), scale(static_cast<size_t>(4 * H)),
      b_hh(static_cast<size_t>(3 * H)), prev(static_cast<size_t>(H));
  std::vector<int32_t> acc(static_cast<size_t>(4 * H));
  for (auto& v : in) v = u(rng);
  in[5] = 40.0f;  // far outside the clamps
  in[H + 6] = -40.0f;
  for (auto& v : scale) v = 0.01f;
  for (auto& v : b_hh) v = u(rng) * 0.1f;
  for (auto& v : prev) v = u(rng) / 2.0f;
  for (auto& v : acc) v = sums(rng);
  auto sig = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  std::vector<float> c(static_cast<size_t>(H)), h(static_cast<size_t>(H));
  lstm_int8_row_ref(in.data(), acc.data(), scale.data(), H, prev.data(), c.data(), h.data());
  for (int j = 0; j < H; ++j) {
    double a[4];
    for (int g = 0; g < 4; ++g)
      a[g] = double(in[size_t(g * H + j)]) + double(acc[size_t(g * H + j)]) * 0.01 / 127.0;
    const double cv = sig(a[1]) * prev[size_t(j)] + sig(a[0]) * std::tanh(a[2]);
    EXPECT_NEAR(c[size_t(j)], cv, 2e-6 * std::max(1.0, std::abs(cv))) << j;
    EXPECT_NEAR(h[size_t(j)], sig(a[3]) * std::tanh(cv), 2e-6) << j;
  }
  gru_int8_row_ref(in.data(), acc.data(), scale.data(), b_hh.data(), H, prev.data(), h.data());
  for (int j = 0; j < H; ++j) {
    double hh[3];
    for (int g = 0; g < 3; ++g)
      hh[g] = double(b_hh[size_t(g * H + j)]) + double(acc[size_t(g * H + j)]) * 0.01 / 127.0;
    const double r = sig(in[size_t(j)] + hh[0]), z = sig(in[size_t(H + j)] + hh[1]);
    const double n = std::tanh(in[size_t(2 * H + j)] + r * hh[2]);
    EXPECT_NEAR(h[size_t(j)], (1.0 - z) * n + z * prev[size_t(j)], 2e-6) << j;
  }
}

// exp_fma (the gate rows' exponential): its SIMD rows equal the scalar reference bit for bit,
// and it stays within 2.5e-7 relative of exp over the range the rows use (and beyond).
TEST(Int8Recurrence, ExpFmaRowsEqualReferenceBitExact) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> u(-87.0f, 88.0f);
  for (int n : {1, 7, 8, 15, 16, 17, 31, 33, 100, 1000}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) v = u(rng);
    x[0] = 0.0f;
    if (n > 1) x[1] = -0.0f;
    if (n > 4) {
      x[2] = 20.0f;
      x[3] = -20.0f;
      x[4] = 0.5f * 0.693147181f;  // a tie region of the reduction
    }
    std::vector<float> ref(x.size()), got(x.size(), -1.0f);
    exp_fma_row_ref(x.data(), ref.data(), n);
    for (int i = 0; i < n; ++i) EXPECT_EQ(ref[size_t(i)], exp_fma(x[size_t(i)]));
    if (gate_rows_have_avx2()) {
      exp_fma_row_avx2(x.data(), got.data(), n);
      EXPECT_EQ(0, std::memcmp(ref.data(), got.data(), sizeof(float) * size_t(n))) << "avx2 " << n;
    }
    if (gate_rows_have_avx512()) {
      std::fill(got.begin(), got.end(), -1.0f);
      exp_fma_row_avx512(x.data(), got.data(), n);
      EXPECT_EQ(0, std::memcmp(ref.data(), got.data(), sizeof(float) * size_t(n))) << "avx512 " << n;
    }
  }
}

TEST(Int8Recurrence, ExpFmaMatchesStdExp) {
  double worst = 0.0;
  for (int i = 0; i <= 400000; ++i) {
    const float x = -87.0f + 175.0f * float(i) / 400000.0f;
    const double want = std::exp(double(x));
    worst = std::max(worst, std::abs(double(exp_fma(x)) - want) / want);
  }
  EXPECT_LT(worst, 2.5e-7);
  EXPECT_EQ(exp_fma(0.0f), 1.0f);
}

// The gate rows' sigmoid and tanh (exp_fma, rearranged): against the double-precision
// functions at step 0, where h = sigmoid(o) tanh(sigmoid(i) tanh(g)) (LSTM) and
// h = (1 - z) tanh(x_n + r b_n) (GRU), over a dense grid including the clamped tails.
TEST(Int8Recurrence, GateRowsActivationsMatchStd) {
  const int H = 16;
  auto sig = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  std::vector<float> in(size_t(4 * H)), scale(size_t(4 * H), 0.01f), b_hh(size_t(3 * H), 0.0f);
  std::vector<float> c(static_cast<size_t>(H)), h(static_cast<size_t>(H));
  double worst_lstm = 0.0, worst_gru = 0.0;
  for (int k = 0; k < 3000; ++k) {
    for (int j = 0; j < H; ++j) {
      const float x = -25.0f + 50.0f * float(k * H + j) / float(3000 * H);
      for (int g = 0; g < 4; ++g) in[size_t(g * H + j)] = g == 2 ? x : -x * 0.37f + 0.5f;
    }
    const LstmInt8RowFn lstm = best_lstm_int8_row();
    lstm(in.data(), nullptr, scale.data(), H, nullptr, c.data(), h.data());
    for (int j = 0; j < H; ++j) {
      const double cv = sig(in[size_t(j)]) * std::tanh(double(in[size_t(2 * H + j)]));
      worst_lstm = std::max(worst_lstm, std::abs(c[size_t(j)] - cv));
      worst_lstm = std::max(worst_lstm,
                            std::abs(h[size_t(j)] - sig(in[size_t(3 * H + j)]) * std::tanh(cv)));
    }
    const GruInt8RowFn gru = best_gru_int8_row();
    gru(in.data(), nullptr, scale.data(), b_hh.data(), H, nullptr, h.data());
    for (int j = 0; j < H; ++j) {
      const double z = sig(in[size_t(H + j)]);
      const double n = std::tanh(double(in[size_t(2 * H + j)]));
      worst_gru = std::max(worst_gru, std::abs(h[size_t(j)] - (1.0 - z) * n));
    }
  }
  EXPECT_LT(worst_lstm, 1e-6);
  EXPECT_LT(worst_gru, 1e-6);
}

// A ragged batch through a whole direction equals a plain scalar run of the same steps (the
// reference quantiser, GEMM and gate rows, one text at a time), bit for bit, and each text run
// alone gives the same bits as in the batch.
TEST(Int8Recurrence, DirectionEqualsScalarStepsBitExact) {
  for (bool lstm : {true, false}) {
    for (int H : {8, 24, 128}) {
      const int G = (lstm ? 4 : 3) * H;
      const Int8Linear w = random_int8_linear(G, H, uint32_t(H + (lstm ? 1 : 2)));
      std::mt19937 rng{uint32_t(H)};
      std::uniform_real_distribution<float> u(-2.0f, 2.0f);
      std::vector<float> b_hh(size_t(3 * H));
      for (auto& v : b_hh) v = u(rng) * 0.1f;
      // Texts of lengths 0..20 (segment order), their input rows one block per token.
      const std::vector<int> lengths = {5, 0, 20, 1, 13, 13, 7, 2, 9, 11, 3};
      std::vector<int32_t> offsets = {0};
      for (int len : lengths) offsets.push_back(offsets.back() + len);
      const int tokens = offsets.back();
      std::vector<float> rows(size_t(tokens) * G);
      for (auto& v : rows) v = u(rng);
      std::vector<int32_t> ids(size_t(tokens), 1);
      const nn::Segment seg{ids.data(), offsets.data(), int(lengths.size())};
      nn::PackedLayout L;
      nn::build_packed_layout(seg, &L);
      std::vector<const float*> in(static_cast<size_t>(tokens));
      for (size_t i = 0; i < lengths.size(); ++i)
        for (int t = 0; t < lengths[i]; ++t)
          in[size_t(L.row(int(i), t))] = rows.data() + size_t(offsets[i] + t) * G;
      Int8RecurrenceScratch s;
      std::vector<float> cell, h(size_t(tokens) * H);
      if (lstm)
        lstm_int8_recurrence(L, in.data(), w, H, s, cell, h.data());
      else
        gru_int8_recurrence(L, in.data(), w, b_hh.data(), H, s, h.data());

      for (size_t i = 0; i < lengths.size(); ++i) {
        const int len = lengths[i];
        std::vector<float> hr(size_t(len) * H), cr(size_t(len) * H);
        std::vector<uint8_t> q(size_t(w.packed.kp));
        std::vector<int32_t> acc(static_cast<size_t>(G));
        for (int t = 0; t < len; ++t) {
          const float* x = rows.data() + size_t(offsets[i] + t) * G;
          const int32_t* a = nullptr;
          if (t > 0) {
            quantize_hidden_u8_ref(hr.data() + size_t(t - 1) * H, 1, H, w.packed.kp, q.data());
            gemm_u8s8_ref(q.data(), 1, w.packed, acc.data());
            a = acc.data();
          }
          if (lstm)
            lstm_int8_row_ref(x, a, w.out_scale.data(), H,
                              t == 0 ? nullptr : cr.data() + size_t(t - 1) * H,
                              cr.data() + size_t(t) * H, hr.data() + size_t(t) * H);
          else
            gru_int8_row_ref(x, a, w.out_scale.data(), b_hh.data(), H,
                             t == 0 ? nullptr : hr.data() + size_t(t - 1) * H,
                             hr.data() + size_t(t) * H);
          ASSERT_EQ(0, std::memcmp(hr.data() + size_t(t) * H, h.data() + size_t(L.row(int(i), t)) * H,
                                   sizeof(float) * size_t(H)))
              << (lstm ? "lstm" : "gru") << " H=" << H << " text " << i << " step " << t;
        }
        // The text alone.
        if (len == 0) continue;
        const int32_t one_offsets[2] = {0, len};
        const nn::Segment one{ids.data(), one_offsets, 1};
        nn::PackedLayout L1;
        nn::build_packed_layout(one, &L1);
        std::vector<const float*> in1(static_cast<size_t>(len));
        for (int t = 0; t < len; ++t) in1[size_t(t)] = rows.data() + size_t(offsets[i] + t) * G;
        std::vector<float> h1(size_t(len) * H);
        if (lstm)
          lstm_int8_recurrence(L1, in1.data(), w, H, s, cell, h1.data());
        else
          gru_int8_recurrence(L1, in1.data(), w, b_hh.data(), H, s, h1.data());
        EXPECT_EQ(0, std::memcmp(h1.data(), hr.data(), sizeof(float) * h1.size())) << i;
      }
    }
  }
}

}  // namespace
}  // namespace fenlei::quant
