// The recurrent presets' inference cache (nn/recurrent_token_projection.h): cached input-gate
// rows against the input-projection GEMM of the uncached path, cached predictions (batches and
// single texts) against uncached ones, independence from the cache's history, concurrent
// callers, and the one-step matrix-vector kernel against its reference.
#include "nn/recurrent_token_projection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <thread>

#include "network_checks.h"
#include "nn/fast_math.h"
#include "nn/fast_math_avx2.h"
#include "nn/recurrent_steps.h"
#include "nn/workspace.h"

namespace fenlei::nn {
namespace {

// A recurrent preset at small sizes; gates per direction 4*24 = 96 (lstm) or 72 (gru) cover the
// kernel's 64-wide blocks, its 8-wide tail and (hidden 5) its scalar tail.
Network make_net(const std::string& preset, int hidden = 24, int vocab = 300) {
  ModelConfig c = *ModelConfig::preset(preset);
  c.vocab_size = vocab;
  c.num_classes = 3;
  c.embed_dim = 16;
  c.rnn_hidden = hidden;
  if (c.arch == Arch::kRcnn) c.rcnn_dim = 12;
  auto net = Network::create(c, 7);
  EXPECT_TRUE(net.ok()) << net.status().message();
  std::mt19937 gen(5);  // trained-looking weights: larger than the init, biases not zero
  std::uniform_real_distribution<float> jitter(-0.1f, 0.1f);
  for (Tensor& t : net->params())
    for (float& x : t.data) x = 3.0f * x + jitter(gen);
  return std::move(*net);
}

Batch ragged_batch(int n, int vocab, uint32_t seed) {
  std::mt19937 gen(seed);
  Batch b = testing::random_batch(n, vocab, 3, 60, gen);
  b.add(std::vector<int32_t>{});  // an empty text
  b.add(std::vector<int32_t>{7});
  return b;
}

std::vector<float> probabilities(const Network& net, const Batch& b,
                                 const RecurrentTokenProjection* cache) {
  Workspace ws;
  std::vector<float> p(b.size() * size_t(net.config().num_classes));
  predict_proba(net, b, ws, p.data(), nullptr, cache);
  return p;
}

std::vector<float> features(const Network& net, const Batch& b,
                            const RecurrentTokenProjection* cache) {
  const int fd = net.config().feature_dim();
  const Segment seg{b.ids.data(), b.offsets.data(), int(b.size())};
  RecurrentScratch s;
  std::vector<float> f(b.size() * size_t(fd));
  recurrent_features_forward(net, seg, s, f.data(), fd, nullptr, nullptr, cache);
  return f;
}

// Two float paths that sum each step's products in another order (OpenBLAS' kernel for this CPU
// against fenlei's own fused steps) drift apart by float rounding compounded over the steps: a
// worst case of ~steps x terms x 2^-24 = 60 x 48 x 6e-8 = 1.7e-4 here; typical runs land at
// 1e-6..2e-5 (1.7e-5 measured with OpenBLAS' Haswell kernels forced on an AVX-512 Zen 5). A
// wrong gate, weight or direction moves features by 1e-2 and more, so 1e-4 still catches them.
constexpr float kCompoundedRounding = 1e-4f;

// Largest |a - b| over max(1, |b|).
float worst_relative(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0.0f;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::fabs(a[i] - b[i]) / std::max(1.0f, std::fabs(b[i])));
  return worst;
}

TEST(GemvPacked, MatchesReferenceAndPlainProduct) {
  std::mt19937 gen(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int n : {512, 384, 96, 72, 13, 1}) {
    const int K = 37;
    std::vector<float> x(K), w(size_t(n) * K), init(n), got(n), want(n);  // w:[n, K]
    for (float& v : x) v = nd(gen);
    for (float& v : w) v = nd(gen);
    for (float& v : init) v = nd(gen);
    const std::vector<float> packed = pack_for_gemv(w.data(), n, K);
    gemv_packed(x.data(), K, packed.data(), n, init.data(), got.data());
    gemv_packed_ref(x.data(), K, packed.data(), n, init.data(), want.data());
    for (int j = 0; j < n; ++j) {
      double exact = init[j], mag = std::fabs(init[j]);
      for (int k = 0; k < K; ++k) {
        exact += double(x[k]) * w[size_t(j) * K + k];
        mag += std::fabs(double(x[k]) * w[size_t(j) * K + k]);
      }
      // Same order, fused or not: each of the K steps rounds at most once more.
      EXPECT_NEAR(got[j], want[j], 2.0 * K * 6e-8 * mag) << n << " " << j;
      EXPECT_NEAR(want[j], exact, K * 6e-8 * mag) << n << " " << j;  // the layout is W's
    }
    gemv_packed(x.data(), K, packed.data(), n, init.data(), init.data());  // y may alias init
    EXPECT_EQ(init, got);
  }
}

#if defined(__x86_64__)
// The eight-lane forms equal the scalar ones bit for bit (so the AVX2 gate loops and attention
// tanh change no value of training or of the uncached path).
__attribute__((target("avx2"))) void eight_lanes(const float* x, float* e, float* s, float* t) {
  _mm256_storeu_ps(e, fast_exp8(_mm256_loadu_ps(x)));
  _mm256_storeu_ps(s, fast_sigmoid8(_mm256_loadu_ps(x)));
  _mm256_storeu_ps(t, fast_tanh8(_mm256_loadu_ps(x)));
}

TEST(FastMathAvx2, LanesEqualScalarBitForBit) {
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "no AVX2";
  std::vector<float> xs;
  for (float x = -120.0f; x <= 120.0f; x += 0.00731f) xs.push_back(x);
  for (float x : {0.0f, -0.0f, -87.0f, 88.0f, 1e-30f, -1e-30f, 1e30f, -1e30f}) xs.push_back(x);
  while (xs.size() % 8) xs.push_back(0.5f);
  float e[8], s[8], t[8];
  for (size_t i = 0; i < xs.size(); i += 8) {
    eight_lanes(&xs[i], e, s, t);
    for (int k = 0; k < 8; ++k) {
      ASSERT_EQ(e[k], fast_exp(xs[i + k])) << xs[i + k];
      ASSERT_EQ(s[k], fast_sigmoid(xs[i + k])) << xs[i + k];
      ASSERT_EQ(t[k], fast_tanh(xs[i + k])) << xs[i + k];
    }
  }
}
#endif

class RecurrentTokenProjectionTest : public ::testing::TestWithParam<const char*> {};

// Each cached row is the token's x W_ih^T + b for both directions as the uncached path's
// one-GEMM input projection computes it. The bound: sgemm over 8 rows and over all rows may sum
// in another order, 1e-6 of the row's magnitude (both are exact products summed in float; on
// OpenBLAS the two are bit-identical, which the message reports).
TEST_P(RecurrentTokenProjectionTest, RowsEqualUncachedInputProjection) {
  const Network net = make_net(GetParam());
  auto cache =
      RecurrentTokenProjection::create(net, 300, RecurrentTokenProjection::kDefaultMaxBytes);
  ASSERT_NE(cache, nullptr);
  const Batch b = ragged_batch(30, 300, 3);
  const Segment seg{b.ids.data(), b.offsets.data(), int(b.size())};
  RecurrentCacheScratch s;
  cache->gather(seg, nullptr, nullptr, s);
  const ModelConfig& c = net.config();
  const RecurrentIndex& ri = net.recurrent();
  const int d = c.embed_dim, G = cache->gate_floats();
  const int n = int(b.ids.size());
  std::vector<float> x(size_t(n) * d), want(size_t(n) * G);
  const float* table = net.params()[net.embed_index()].values();
  for (int q = 0; q < n; ++q) std::copy_n(table + size_t(b.ids[q]) * d, d, x.begin() + q * d);
  size_t exact = 0;
  for (int dir = 0; dir < 2; ++dir) {
    const float* w = net.params()[ri.w_ih[dir]].values();
    const float* bias = net.params()[ri.b_ih[dir]].values();
    project_rows(x.data(), n, d, w, bias, G, want.data());
    for (int q = 0; q < n; ++q)
      for (int j = 0; j < G; ++j) {
        double mag = std::fabs(bias[j]);
        for (int e = 0; e < d; ++e)
          mag += std::fabs(double(x[size_t(q) * d + e]) * w[size_t(j) * d + e]);
        const float got = s.rows[size_t(q)][size_t(dir) * G + j];
        const float ref = want[size_t(q) * G + j];
        exact += got == ref;
        ASSERT_NEAR(got, ref, 1e-6 * mag) << q << " " << j;
      }
  }
  std::printf("[ info ] %zu of %zu cached gate values bit-identical to the GEMM's\n", exact,
              size_t(2) * n * G);
  EXPECT_EQ(cache->rows_filled(), std::set<int32_t>(b.ids.begin(), b.ids.end()).size());
}

// Batches: the cached rows feed the batched recurrence (the fused step where the CPU and hidden
// size allow it, hidden 32 here; else the sgemm steps); single texts run the one-sequence
// recurrence (matrix-vector products with fused multiply-adds). Both track the uncached path
// within float rounding compounded over up to 60 steps (kCompoundedRounding of max(1, |value|)).
TEST_P(RecurrentTokenProjectionTest, CachedEqualsUncachedBatchAndSingle) {
  for (int hidden : {24, 5, 32}) {
    const Network net = make_net(GetParam(), hidden);
    auto cache =
        RecurrentTokenProjection::create(net, 300, RecurrentTokenProjection::kDefaultMaxBytes);
    ASSERT_NE(cache, nullptr);
    const Batch b = ragged_batch(40, 300, 9);
    const std::vector<float> fu = features(net, b, nullptr), fc = features(net, b, cache.get());
    EXPECT_LT(worst_relative(fc, fu), kCompoundedRounding) << GetParam() << " hidden " << hidden;
    EXPECT_LT(worst_relative(probabilities(net, b, cache.get()), probabilities(net, b, nullptr)),
              kCompoundedRounding);
    float scale = 0.0f;
    for (float v : fu) scale = std::max(scale, std::fabs(v));
    EXPECT_GT(scale, 0.05f);  // the features are not trivially zero
    for (size_t i = 0; i < b.size(); ++i) {
      Batch one;
      one.add(b.ids.data() + b.offsets[i], size_t(b.offsets[i + 1] - b.offsets[i]));
      const std::vector<float> su = features(net, one, nullptr),
                               sc = features(net, one, cache.get());
      EXPECT_LT(worst_relative(sc, su), kCompoundedRounding) << GetParam() << " text " << i;
    }
  }
}

// Without the packed float W_hh (the int8 engine's caches) the object holds no copy of it, and
// a caller that still runs the float recurrence through it gets the unfused sgemm steps: the
// same features as the packed paths, batch and single text, within float rounding.
TEST_P(RecurrentTokenProjectionTest, WithoutPackedFloatWhhStillRunsTheFloatRecurrence) {
  const Network net = make_net(GetParam());
  auto packed =
      RecurrentTokenProjection::create(net, 300, RecurrentTokenProjection::kDefaultMaxBytes);
  auto bare = RecurrentTokenProjection::create(net, 300, RecurrentTokenProjection::kDefaultMaxBytes,
                                               /*pack_float_w_hh=*/false);
  ASSERT_NE(packed, nullptr);
  ASSERT_NE(bare, nullptr);
  const int G = packed->gate_floats(), H = net.config().rnn_hidden;
  EXPECT_GE(packed->float_w_hh_bytes(), 2 * size_t(G) * H * sizeof(float));
  EXPECT_EQ(bare->float_w_hh_bytes(), 0u);
  EXPECT_EQ(bare->w_hh_packed(0), nullptr);
  EXPECT_EQ(bare->w_hh_panels(1), nullptr);
  const Batch b = ragged_batch(20, 300, 13);
  EXPECT_LT(worst_relative(features(net, b, bare.get()), features(net, b, packed.get())),
            kCompoundedRounding);
  for (size_t i = 0; i < b.size(); ++i) {
    Batch one;
    one.add(b.ids.data() + b.offsets[i], size_t(b.offsets[i + 1] - b.offsets[i]));
    EXPECT_LT(worst_relative(features(net, one, bare.get()), features(net, one, packed.get())),
              kCompoundedRounding)
        << GetParam() << " text " << i;
  }
}

// Rows are computed in fixed-shape chunks, so what a text gets does not depend on which rows
// were cached before (warm-up, other texts).
TEST_P(RecurrentTokenProjectionTest, ResultsIndependentOfCacheHistory) {
  const Network net = make_net(GetParam());
  auto lazy =
      RecurrentTokenProjection::create(net, 300, RecurrentTokenProjection::kDefaultMaxBytes);
  auto warm =
      RecurrentTokenProjection::create(net, 300, RecurrentTokenProjection::kDefaultMaxBytes);
  RecurrentCacheScratch s;
  warm->fill_frequent(nullptr, nullptr, s);
  EXPECT_EQ(warm->rows_filled(), 300u);  // a small vocabulary fits the warm-up budget
  const Batch b = ragged_batch(20, 300, 4);
  EXPECT_EQ(probabilities(net, b, warm.get()), probabilities(net, b, lazy.get()));
  Batch one;
  one.add(std::vector<int32_t>{5, 250, 3, 3, 299});
  EXPECT_EQ(probabilities(net, one, warm.get()), probabilities(net, one, lazy.get()));
}

TEST_P(RecurrentTokenProjectionTest, ConcurrentCallersAgree) {
  const Network net = make_net(GetParam());
  auto cache =
      RecurrentTokenProjection::create(net, 300, RecurrentTokenProjection::kDefaultMaxBytes);
  const Batch b = ragged_batch(50, 300, 6);
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 3; ++rep) {
        results[t] = probabilities(net, b, cache.get());
        Batch one;  // single texts too: the one-sequence path reads the same rows
        one.add(b.ids.data() + b.offsets[t], size_t(b.offsets[t + 1] - b.offsets[t]));
        (void)probabilities(net, one, cache.get());
      }
    });
  for (auto& th : threads) th.join();
  for (size_t t = 1; t < results.size(); ++t) EXPECT_EQ(results[t], results[0]);
  EXPECT_EQ(results[0], probabilities(net, b, cache.get()));
}

INSTANTIATE_TEST_SUITE_P(Presets, RecurrentTokenProjectionTest,
                         ::testing::Values("bilstm", "gru", "rcnn"));

TEST(RecurrentTokenProjection, DeclinesWhatItCannotServe) {
  const Network net = make_net("gru", 8, 100);
  // 100 rows x 2 directions x 3*8 gates x 4 bytes = 19,200 bytes.
  EXPECT_EQ(RecurrentTokenProjection::create(net, 100, 19199), nullptr);
  EXPECT_NE(RecurrentTokenProjection::create(net, 100, 19200), nullptr);
  ModelConfig cnn = *ModelConfig::preset("textcnn");
  cnn.vocab_size = 20;
  cnn.num_classes = 2;
  const Network textcnn = *Network::create(cnn, 1);
  EXPECT_EQ(RecurrentTokenProjection::create(textcnn, 20, size_t(1) << 30), nullptr);
}

}  // namespace
}  // namespace fenlei::nn
