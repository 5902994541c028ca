// Finite-difference gradient checks of every reference layer kernel and of the losses.
#include <gtest/gtest.h>

#include <random>

#include "grad_check.h"
#include "nn/activation.h"
#include "nn/kernels_ref.h"
#include "nn/loss.h"

namespace fenlei::nn {
namespace {

using testing::check_grad;
using testing::dot;
using testing::random_vec;

TEST(KernelsRefGrad, Embedding) {
  std::mt19937 gen(1);
  const int vocab = 6, dim = 3, len = 5;
  std::vector<int32_t> ids = {1, 4, 1, 0, 5};  // repeated id: gradients must add
  auto table = random_vec(vocab * dim, gen);
  auto r = random_vec(len * dim, gen);
  std::vector<float> x(len * dim), dtable(vocab * dim, 0.0f);
  auto f = [&] {
    embedding_forward_ref(table.data(), dim, ids.data(), len, x.data());
    return dot(x, r);
  };
  embedding_backward_ref(r.data(), dim, ids.data(), len, dtable.data());
  check_grad(table, dtable, f, "embedding");
}

TEST(KernelsRefGrad, Conv1d) {
  std::mt19937 gen(2);
  const int len = 6, dim = 3, width = 3, filters = 4, steps = len - width + 1;
  auto x = random_vec(len * dim, gen), w = random_vec(filters * width * dim, gen),
       b = random_vec(filters, gen), r = random_vec(steps * filters, gen);
  std::vector<float> y(steps * filters), dx(x.size(), 0.f), dw(w.size(), 0.f), db(b.size(), 0.f);
  auto f = [&] {
    conv1d_forward_ref(x.data(), len, dim, w.data(), b.data(), width, filters, y.data());
    return dot(y, r);
  };
  conv1d_backward_ref(x.data(), len, dim, w.data(), width, filters, r.data(), dx.data(), dw.data(),
                      db.data());
  check_grad(x, dx, f, "conv dx");
  check_grad(w, dw, f, "conv dw");
  check_grad(b, db, f, "conv db");
}

TEST(KernelsRefGrad, ReluAwayFromKink) {
  std::mt19937 gen(3);
  std::vector<float> x = {-0.7f, -0.2f, 0.3f, 0.9f, -1.5f, 2.0f};
  auto r = random_vec(x.size(), gen);
  std::vector<float> y(x.size()), dx(x.size(), 0.f);
  auto f = [&] {
    relu_forward_ref(x.data(), x.size(), y.data());
    return dot(y, r);
  };
  relu_backward_ref(x.data(), r.data(), x.size(), dx.data());
  check_grad(x, dx, f, "relu", 1e-2);
  EXPECT_EQ(dx[0], 0.0f);
  EXPECT_EQ(dx[2], r[2]);
}

TEST(KernelsRefGrad, MaxPool) {
  std::mt19937 gen(4);
  const int steps = 5, channels = 3;
  // Distinct values at least 0.1 apart per channel, so eps=1e-2 never flips the argmax.
  std::vector<float> x = {0.1f, 0.9f, -0.3f, 0.5f, 0.2f, 0.4f, -0.2f, 0.6f, 0.8f,
                          0.7f, -0.5f, 0.0f, 0.3f, 0.0f, -0.1f};
  auto r = random_vec(channels, gen);
  std::vector<float> y(channels), dx(x.size(), 0.f);
  std::vector<int32_t> am(channels);
  auto f = [&] {
    max_pool_forward_ref(x.data(), steps, channels, y.data(), am.data());
    return dot(y, r);
  };
  f();
  EXPECT_EQ(am[0], 3);
  EXPECT_EQ(am[1], 0);
  EXPECT_EQ(am[2], 2);
  max_pool_backward_ref(r.data(), am.data(), channels, dx.data());
  check_grad(x, dx, f, "max pool");
}

TEST(KernelsRefGrad, Dense) {
  std::mt19937 gen(5);
  const int n = 3, in = 4, out = 5;
  auto x = random_vec(n * in, gen), w = random_vec(out * in, gen), b = random_vec(out, gen),
       r = random_vec(n * out, gen);
  std::vector<float> y(n * out), dx(x.size(), 0.f), dw(w.size(), 0.f), db(b.size(), 0.f);
  auto f = [&] {
    dense_forward_ref(x.data(), n, in, w.data(), b.data(), out, y.data());
    return dot(y, r);
  };
  dense_backward_ref(x.data(), n, in, w.data(), out, r.data(), dx.data(), dw.data(), db.data());
  check_grad(x, dx, f, "dense dx");
  check_grad(w, dw, f, "dense dw");
  check_grad(b, db, f, "dense db");
}

TEST(KernelsRefGrad, Dropout) {
  std::mt19937 gen(6);
  const float rate = 0.5f;
  auto x = random_vec(8, gen), r = random_vec(8, gen);
  std::vector<uint8_t> keep = {1, 0, 1, 1, 0, 0, 1, 0};
  std::vector<float> y(8), dx(8, 0.f);
  auto f = [&] {
    dropout_forward_ref(x.data(), keep.data(), rate, 8, y.data());
    return dot(y, r);
  };
  f();
  EXPECT_FLOAT_EQ(y[0], 2.0f * x[0]);  // inverted dropout scales kept units by 1/(1-rate)
  EXPECT_EQ(y[1], 0.0f);
  dropout_backward_ref(r.data(), keep.data(), rate, 8, dx.data());
  check_grad(x, dx, f, "dropout");
}

TEST(KernelsRefGrad, MeanPool) {
  std::mt19937 gen(7);
  const int steps = 4, dim = 3;
  auto x = random_vec(steps * dim, gen), r = random_vec(dim, gen);
  std::vector<float> y(dim), dx(x.size(), 0.f);
  auto f = [&] {
    mean_pool_forward_ref(x.data(), steps, dim, y.data());
    return dot(y, r);
  };
  mean_pool_backward_ref(r.data(), steps, dim, dx.data());
  check_grad(x, dx, f, "mean pool");
  std::vector<float> empty_y(dim, 9.0f);
  mean_pool_forward_ref(nullptr, 0, dim, empty_y.data());
  EXPECT_EQ(empty_y, std::vector<float>(dim, 0.0f));
}

TEST(KernelsRefGrad, Activations) {
  std::mt19937 gen(8);
  for (Activation a : {Activation::kRelu, Activation::kTanh, Activation::kGelu}) {
    std::vector<float> x = {-1.3f, -0.4f, 0.2f, 0.7f, 1.9f, -2.5f};
    auto r = random_vec(x.size(), gen);
    std::vector<float> y(x.size()), dx(x.size());
    auto f = [&] {
      activation_forward(a, x.data(), x.size(), y.data());
      return dot(y, r);
    };
    activation_backward(a, x.data(), r.data(), x.size(), dx.data());
    check_grad(x, dx, f, activation_name(a), 1e-3);
  }
}

TEST(LossGrad, SigmoidCrossEntropy) {
  for (int label : {0, 1}) {
    for (float z0 : {-3.0f, -0.5f, 0.0f, 0.8f, 4.0f}) {
      std::vector<float> z = {z0};
      float dz = 0.f;
      sigmoid_xent(z[0], label, 0.7f, 1.0f, &dz);
      check_grad(z, {dz}, [&] { return sigmoid_xent(z[0], label, 0.7f, 1.0f, nullptr); },
                 "bce", 1e-3);
    }
  }
}

TEST(LossGrad, SigmoidIsStableForHugeLogits) {
  float dz = 0.f;
  EXPECT_NEAR(sigmoid_xent(1000.0f, 0, 1.0f, 1.0f, &dz), 1000.0, 1e-6);
  EXPECT_FLOAT_EQ(dz, 1.0f);
  EXPECT_NEAR(sigmoid_xent(-1000.0f, 0, 1.0f, 1.0f, &dz), 0.0, 1e-12);
  EXPECT_NEAR(sigmoid_xent(-1000.0f, 1, 1.0f, 1.0f, &dz), 1000.0, 1e-6);
  EXPECT_FLOAT_EQ(dz, -1.0f);
}

TEST(LossGrad, SoftmaxCrossEntropy) {
  std::mt19937 gen(9);
  for (int label = 0; label < 4; ++label) {
    auto z = random_vec(4, gen, -3.0f, 3.0f);
    std::vector<float> dz(4);
    softmax_xent(z.data(), 4, label, 1.3f, 1.0f, dz.data());
    check_grad(z, dz, [&] { return softmax_xent(z.data(), 4, label, 1.3f, 1.0f, nullptr); },
               "cce", 1e-3);
  }
}

TEST(LossGrad, SoftmaxIsStableForHugeLogitsAndMatchesLogSumExp) {
  std::vector<float> z = {1000.0f, 0.0f, -1000.0f};
  EXPECT_NEAR(softmax_xent(z.data(), 3, 0, 1.0f, 1.0f, nullptr), 0.0, 1e-9);
  EXPECT_NEAR(softmax_xent(z.data(), 3, 1, 1.0f, 1.0f, nullptr), 1000.0, 1e-6);
  std::vector<float> small = {0.5f, -0.25f};
  const double want = std::log(std::exp(0.5) + std::exp(-0.25)) + 0.25;
  EXPECT_NEAR(softmax_xent(small.data(), 2, 1, 1.0f, 1.0f, nullptr), want, 1e-6);
  std::vector<float> p(3);
  softmax_proba(z.data(), 3, p.data());
  EXPECT_FLOAT_EQ(p[0], 1.0f);
  EXPECT_EQ(p[2], 0.0f);
}

}  // namespace
}  // namespace fenlei::nn
