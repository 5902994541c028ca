// The vectorised training kernels (train_kernels.h) against double-precision formulas, at
// lengths that exercise both the 16-lane body and the scalar tail.
#include "transformer/train_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "nn/rng.h"
#include "transformer/layers.h"
#include "transformer/train_layers.h"

namespace fenlei::transformer {
namespace {

std::vector<float> random_vec(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(TrainKernels, GeluErfBackwardMatchesTheDoubleDerivative) {
  for (long n : {1L, 15L, 16L, 37L, 1000L}) {
    std::vector<float> pre = random_vec(n, 1, 3.0f), dy = random_vec(n, 2, 1.0f), dx(n);
    pre[0] = n > 1 ? -12.0f : 0.0f;  // far in the tail: derivative 0
    gelu_erf_backward(pre.data(), dy.data(), dx.data(), n);
    for (long i = 0; i < n; ++i) {
      const double x = pre[i];
      const double d = 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))) +
                       x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
      ASSERT_NEAR(dx[i], dy[i] * d, 2e-6 * (1.0 + std::fabs(dy[i]))) << "n " << n << " i " << i;
    }
    // In place (dx aliases dy) gives the same values.
    std::vector<float> inplace = dy;
    gelu_erf_backward(pre.data(), inplace.data(), inplace.data(), n);
    EXPECT_EQ(inplace, dx);
  }
}

TEST(TrainKernels, GeluErfForwardEqualsTheInferenceActivation) {
  for (long n : {3L, 16L, 50L}) {
    std::vector<float> pre = random_vec(n, 16, 3.0f), act(n), inplace = pre;
    gelu_erf_forward(pre.data(), act.data(), n);
    activate(hf::Activation::kGeluErf, inplace.data(), n);
    for (long i = 0; i < n; ++i) {
      ASSERT_NEAR(act[i], inplace[i], 1e-6 * (1 + std::fabs(inplace[i]))) << i;
      ASSERT_NEAR(act[i], activate_ref(hf::Activation::kGeluErf, pre[i]), 1e-5 * (1 + std::fabs(pre[i])));
    }
  }
}

TEST(TrainKernels, SoftmaxRowMatchesDouble) {
  for (int n : {1, 7, 16, 33, 128}) {
    std::vector<float> s = random_vec(n, 3, 4.0f);
    std::vector<double> want(n);
    double mx = -1e30, sum = 0;
    for (float x : s) mx = std::max(mx, double(x));
    for (int j = 0; j < n; ++j) sum += want[j] = std::exp(s[j] - mx);
    softmax_row(s.data(), n);
    for (int j = 0; j < n; ++j) ASSERT_NEAR(s[j], want[j] / sum, 1e-6) << "n " << n << " j " << j;
  }
}

TEST(TrainKernels, SoftmaxBackwardRowMatchesDouble) {
  for (int n : {3, 16, 45}) {
    std::vector<float> p = random_vec(n, 12, 1.0f), g = random_vec(n, 13, 1.0f);
    softmax_row(p.data(), n);
    std::vector<float> out = g;
    softmax_backward_row(p.data(), out.data(), n);
    double dot = 0;
    for (int j = 0; j < n; ++j) dot += double(g[j]) * p[j];
    for (int j = 0; j < n; ++j) ASSERT_NEAR(out[j], p[j] * (g[j] - dot), 1e-6) << "n " << n;
  }
}

TEST(TrainKernels, DropoutApplyUsesTheGivenMask) {
  const long n = 37;
  std::vector<uint8_t> keep(n);
  for (long i = 0; i < n; ++i) keep[i] = i % 3 != 0;
  std::vector<float> x = random_vec(n, 14, 1.0f), y = x;
  dropout_apply(y.data(), n, keep.data(), 0.25f);
  for (long i = 0; i < n; ++i) ASSERT_EQ(y[i], keep[i] ? x[i] * (1.0f / 0.75f) : 0.0f) << i;
}

TEST(TrainKernels, SumSquaresMatchesDouble) {
  for (long n : {0L, 5L, 8L, 1001L}) {
    std::vector<float> x = random_vec(n, 15, 2.0f);
    double want = 0;
    for (float v : x) want += double(v) * v;
    EXPECT_NEAR(sum_squares(x.data(), n), want, 1e-12 * (1 + want)) << n;
  }
}

TEST(TrainKernels, AdamWUpdateFollowsTorchFormula) {
  const long n = 53;
  AdamWStep s;
  s.decay = 1.0f - 1e-3f * 0.01f;
  s.step_size = static_cast<float>(1e-3 / (1.0 - std::pow(0.9, 3)));
  s.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(0.999, 3)));
  std::vector<float> p = random_vec(n, 4, 1.0f), g = random_vec(n, 5, 0.1f);
  std::vector<float> m = random_vec(n, 6, 0.01f), v(n);
  for (long i = 0; i < n; ++i) v[i] = 1e-4f * (1 + i % 5);
  for (bool zero_grad : {false, true}) {
    std::vector<float> p2 = p, m2 = m, v2 = v;
    adamw_update(s, p2.data(), m2.data(), v2.data(), zero_grad ? nullptr : g.data(), n);
    for (long i = 0; i < n; ++i) {
      const double gi = zero_grad ? 0.0 : g[i];
      const double mi = m[i] + (gi - m[i]) * (1.0 - s.b1);
      const double vi = v[i] * double(s.b2) + (1.0 - s.b2) * gi * gi;
      const double pi = p[i] * double(s.decay) - s.step_size * mi / (std::sqrt(vi) / s.bc2_sqrt + s.eps);
      ASSERT_NEAR(m2[i], mi, 1e-7);
      ASSERT_NEAR(v2[i], vi, 1e-9);
      ASSERT_NEAR(p2[i], pi, 1e-6 * (1.0 + std::fabs(pi))) << i;
    }
  }
}

TEST(TrainKernels, DropoutMaskIsTheCounterHashAndScalesKeptValues) {
  const float p = 0.1f;
  for (long n : {5L, 16L, 100L, 4099L}) {
    std::vector<uint8_t> keep(n), mask_only(n);
    std::vector<float> x = random_vec(n, 7, 1.0f), y = x;
    dropout_mask_apply(42, p, n, keep.data(), y.data());
    dropout_mask_apply(42, p, n, mask_only.data(), nullptr);
    EXPECT_EQ(keep, mask_only);
    const uint64_t base = nn::mix64(42 ^ 0x2545f4914f6cdd1dULL);
    long kept = 0;
    for (long i = 0; i < n; ++i) {
      const float u = static_cast<float>(nn::mix64(base + static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL) >> 40) /
                      16777216.0f;
      ASSERT_EQ(keep[i], u >= p ? 1 : 0) << "n " << n << " i " << i;
      ASSERT_EQ(y[i], keep[i] ? x[i] * (1.0f / (1.0f - p)) : 0.0f);
      kept += keep[i];
    }
    if (n > 1000) {
      EXPECT_NEAR(double(kept) / n, 1.0 - p, 0.02);
    }
  }
}

// LayerNorm forward and backward at widths past one 16-lane block (the AVX-512 path's body and
// masked tail) against double-precision formulas.
TEST(TrainKernels, LayerNormForwardAndBackwardMatchDouble) {
  for (int dim : {16, 37, 256}) {
    const int rows = 3;
    const float eps = 1e-12f;
    std::vector<float> x = random_vec(rows * dim, 8, 2.0f), gamma = random_vec(dim, 9, 1.0f),
                       beta = random_vec(dim, 10, 1.0f), dy = random_vec(rows * dim, 11, 1.0f);
    std::vector<float> y(rows * dim), xhat(rows * dim), inv(rows), dx(rows * dim);
    std::vector<float> dgamma(dim, 0.5f), dbeta(dim, -0.5f);
    layer_norm_train(x.data(), rows, dim, gamma.data(), beta.data(), eps, y.data(), xhat.data(),
                     inv.data());
    layer_norm_backward(dy.data(), xhat.data(), inv.data(), rows, dim, gamma.data(), dx.data(),
                        dgamma.data(), dbeta.data());
    std::vector<double> want_dgamma(dim, 0.5), want_dbeta(dim, -0.5);
    for (int r = 0; r < rows; ++r) {
      const float* v = x.data() + r * dim;
      double mean = 0, var = 0;
      for (int i = 0; i < dim; ++i) mean += v[i];
      mean /= dim;
      for (int i = 0; i < dim; ++i) var += (v[i] - mean) * (v[i] - mean);
      const double is = 1.0 / std::sqrt(var / dim + eps);
      ASSERT_NEAR(inv[r], is, 1e-5 * is);
      double mg = 0, mgx = 0;
      for (int i = 0; i < dim; ++i) {
        const double h = (v[i] - mean) * is, g = dy[r * dim + i];
        ASSERT_NEAR(xhat[r * dim + i], h, 1e-5);
        ASSERT_NEAR(y[r * dim + i], h * gamma[i] + beta[i], 1e-5 * (1 + std::fabs(gamma[i])));
        want_dgamma[i] += g * h;
        want_dbeta[i] += g;
        mg += g * gamma[i] / dim;
        mgx += g * gamma[i] * h / dim;
      }
      for (int i = 0; i < dim; ++i) {
        const double h = (v[i] - mean) * is;
        ASSERT_NEAR(dx[r * dim + i], is * (dy[r * dim + i] * gamma[i] - mg - h * mgx), 1e-4 * is)
            << "dim " << dim << " row " << r << " i " << i;
      }
    }
    for (int i = 0; i < dim; ++i) {
      ASSERT_NEAR(dgamma[i], want_dgamma[i], 1e-5);
      ASSERT_NEAR(dbeta[i], want_dbeta[i], 1e-5);
    }
  }
}

}  // namespace
}  // namespace fenlei::transformer
