// Every backward pass of train_layers.h against central differences of a double-precision
// forward written here (so the numerical gradient is exact to ~1e-9, not float rounding).
#include "transformer/train_layers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

namespace fenlei::transformer {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937* rng, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(*rng);
  return v;
}

// Central difference of `loss` in v[i], using the step float actually represents.
double numeric(const std::function<double()>& loss, float* v, double eps = 1e-3) {
  const float orig = *v;
  *v = static_cast<float>(orig + eps);
  const double up = loss(), du = double(*v) - orig;
  *v = static_cast<float>(orig - eps);
  const double down = loss(), dd = orig - double(*v);
  *v = orig;
  return (up - down) / (du + dd);
}

void expect_grad(const std::function<double()>& loss, std::vector<float>* v,
                 const std::vector<float>& analytic, double tol, const char* what) {
  ASSERT_EQ(v->size(), analytic.size()) << what;
  for (size_t i = 0; i < v->size(); ++i) {
    const double n = numeric(loss, &(*v)[i]);
    ASSERT_NEAR(analytic[i], n, tol * (1.0 + std::fabs(n))) << what << " at " << i;
  }
}

double dot(const std::vector<double>& y, const std::vector<float>& r) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += y[i] * r[i];
  return s;
}

std::vector<double> linear_d(const std::vector<float>& x, int rows, const Linear& l) {
  std::vector<double> y(static_cast<size_t>(rows) * l.out);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < l.out; ++o) {
      double s = l.b[o];
      for (int i = 0; i < l.in; ++i) s += double(x[r * l.in + i]) * l.w[o * l.in + i];
      y[r * l.out + o] = s;
    }
  return y;
}

TEST(TrainLayers, LinearBackwardMatchesNumericalAndReference) {
  std::mt19937 rng(3);
  for (int rows : {1, 4}) {
    Linear l{6, 5, random_vec(30, &rng), random_vec(5, &rng)};
    auto x = random_vec(rows * 6, &rng);
    auto r = random_vec(rows * 5, &rng);  // loss = sum(r * y), so dy = r
    std::vector<float> dx(rows * 6), dw(30, 0.0f), db(5, 0.0f);
    linear_backward(x.data(), rows, l, r.data(), dx.data(), false, dw.data(), db.data());
    auto loss = [&] { return dot(linear_d(x, rows, l), r); };
    expect_grad(loss, &x, dx, 1e-5, "dx");
    expect_grad(loss, &l.w, dw, 1e-5, "dw");
    expect_grad(loss, &l.b, db, 1e-5, "db");
    std::vector<float> dx_ref(rows * 6), dw_ref(30, 0.0f), db_ref(5, 0.0f);
    linear_backward_ref(x.data(), rows, l, r.data(), dx_ref.data(), dw_ref.data(), db_ref.data());
    for (size_t i = 0; i < dw.size(); ++i) EXPECT_NEAR(dw[i], dw_ref[i], 1e-5);
    for (size_t i = 0; i < dx.size(); ++i) EXPECT_NEAR(dx[i], dx_ref[i], 1e-5);
    // Parameter gradients accumulate; dx accumulates only when asked.
    linear_backward(x.data(), rows, l, r.data(), dx.data(), true, dw.data(), db.data());
    for (size_t i = 0; i < dw.size(); ++i) EXPECT_NEAR(dw[i], 2 * dw_ref[i], 1e-5);
    for (size_t i = 0; i < dx.size(); ++i) EXPECT_NEAR(dx[i], 2 * dx_ref[i], 1e-5);
  }
}

TEST(TrainLayers, LayerNormBackwardMatchesNumerical) {
  std::mt19937 rng(4);
  const int rows = 3, dim = 7;
  const float eps = 1e-5f;
  auto x = random_vec(rows * dim, &rng, 2.0f);
  auto g = random_vec(dim, &rng), b = random_vec(dim, &rng), r = random_vec(rows * dim, &rng);
  std::vector<float> y(rows * dim), xhat(rows * dim), inv(rows);
  layer_norm_train(x.data(), rows, dim, g.data(), b.data(), eps, y.data(), xhat.data(), inv.data());
  auto ref = x;
  layer_norm_ref(ref.data(), rows, dim, g.data(), b.data(), eps);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], 1e-5);
  std::vector<float> dx(rows * dim), dg(dim, 0.0f), dbeta(dim, 0.0f);
  layer_norm_backward(r.data(), xhat.data(), inv.data(), rows, dim, g.data(), dx.data(), dg.data(),
                      dbeta.data());
  auto loss = [&] {
    double s = 0;
    for (int row = 0; row < rows; ++row) {
      double mean = 0, var = 0;
      for (int i = 0; i < dim; ++i) mean += x[row * dim + i];
      mean /= dim;
      for (int i = 0; i < dim; ++i) var += (x[row * dim + i] - mean) * (x[row * dim + i] - mean);
      var /= dim;
      for (int i = 0; i < dim; ++i)
        s += ((x[row * dim + i] - mean) / std::sqrt(var + eps) * g[i] + b[i]) * r[row * dim + i];
    }
    return s;
  };
  expect_grad(loss, &x, dx, 2e-4, "dx");
  expect_grad(loss, &g, dg, 2e-4, "dgamma");
  expect_grad(loss, &b, dbeta, 2e-4, "dbeta");
}

double act_d(hf::Activation a, double x) {
  switch (a) {
    case hf::Activation::kGeluErf:
      return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case hf::Activation::kGeluTanh:
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case hf::Activation::kRelu:
      return x > 0 ? x : 0;
  }
  return x;
}

TEST(TrainLayers, ActivationBackwardMatchesNumerical) {
  for (auto a : {hf::Activation::kGeluErf, hf::Activation::kGeluTanh, hf::Activation::kRelu}) {
    std::vector<float> x;
    for (float v = -6.0f; v <= 6.0f; v += 0.37f) x.push_back(v);
    std::vector<float> dy(x.size(), 1.0f), dx(x.size());
    activation_backward(a, x.data(), dy.data(), dx.data(), static_cast<long>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      const double h = 1e-5;
      const double n = (act_d(a, x[i] + h) - act_d(a, x[i] - h)) / (2 * h);
      EXPECT_NEAR(activation_derivative_ref(a, x[i]), n, 1e-6) << x[i];
      EXPECT_NEAR(dx[i], n, 2e-6) << x[i];
    }
  }
}

TEST(TrainLayers, DropoutMaskIsDeterministicAndHasItsRate) {
  std::vector<uint8_t> a(100000), b(100000), c(100000);
  make_dropout_mask(42, 0.1f, 100000, a.data());
  make_dropout_mask(42, 0.1f, 100000, b.data());
  make_dropout_mask(43, 0.1f, 100000, c.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  long kept = 0;
  for (uint8_t k : a) kept += k;
  EXPECT_NEAR(kept / 100000.0, 0.9, 0.005);
  std::vector<float> x(4, 2.0f);
  const uint8_t keep[] = {1, 0, 1, 0};
  apply_dropout(x.data(), 4, keep, 0.5f);
  EXPECT_EQ(x, (std::vector<float>{4.0f, 0.0f, 4.0f, 0.0f}));
}

// Double forward of multi-head attention with query_rows and an optional dropout mask.
std::vector<double> attention_d(const std::vector<float>& qkv, int len, int rows, int hidden,
                                int heads, const uint8_t* keep, float p) {
  const int d = hidden / heads;
  const int stride = 3 * hidden;
  std::vector<double> ctx(static_cast<size_t>(rows) * hidden, 0.0);
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < rows; ++i) {
      std::vector<double> s(len);
      double mx = -1e300;
      for (int j = 0; j < len; ++j) {
        double v = 0;
        for (int t = 0; t < d; ++t) v += double(qkv[i * stride + h * d + t]) * qkv[j * stride + hidden + h * d + t];
        s[j] = v / std::sqrt(double(d));
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (int j = 0; j < len; ++j) sum += (s[j] = std::exp(s[j] - mx));
      for (int j = 0; j < len; ++j) {
        s[j] /= sum;
        if (keep) s[j] = keep[(static_cast<long>(h) * rows + i) * len + j] ? s[j] / (1 - p) : 0;
      }
      for (int t = 0; t < d; ++t) {
        double acc = 0;
        for (int j = 0; j < len; ++j) acc += s[j] * qkv[j * stride + 2 * hidden + h * d + t];
        ctx[i * hidden + h * d + t] = acc;
      }
    }
  return ctx;
}

TEST(TrainLayers, SelfAttentionBackwardMatchesNumerical) {
  std::mt19937 rng(5);
  const int len = 5, hidden = 8, heads = 2;
  for (int rows : {len, 1}) {
    for (bool with_dropout : {false, true}) {
      auto qkv = random_vec(len * 3 * hidden, &rng);
      auto r = random_vec(rows * hidden, &rng);
      const long plane = static_cast<long>(heads) * rows * len;
      std::vector<uint8_t> keep(plane);
      make_dropout_mask(7, 0.3f, plane, keep.data());
      const uint8_t* k = with_dropout ? keep.data() : nullptr;
      std::vector<float> probs(plane), ctx(rows * hidden), dqkv(len * 3 * hidden);
      self_attention_train(qkv.data(), len, rows, hidden, heads, k, 0.3f, probs.data(), ctx.data());
      auto ref = attention_d(qkv, len, rows, hidden, heads, k, 0.3f);
      for (size_t i = 0; i < ctx.size(); ++i) ASSERT_NEAR(ctx[i], ref[i], 1e-5);
      if (!with_dropout) {
        std::vector<float> inference(rows * hidden);
        self_attention(qkv.data(), len, rows, hidden, heads, inference.data());
        for (size_t i = 0; i < ctx.size(); ++i) ASSERT_NEAR(ctx[i], inference[i], 1e-6);
      }
      self_attention_backward(qkv.data(), len, rows, hidden, heads, probs.data(), k, 0.3f, r.data(),
                              dqkv.data());
      auto loss = [&] { return dot(attention_d(qkv, len, rows, hidden, heads, k, 0.3f), r); };
      expect_grad(loss, &qkv, dqkv, 1e-4, "dqkv");
    }
  }
}

TEST(TrainLayers, SoftmaxCrossEntropyGradient) {
  std::vector<float> logits = {0.5f, -1.0f, 2.0f};
  std::vector<float> d(3);
  const float loss = softmax_cross_entropy(logits.data(), 3, 1, 0.5f, d.data());
  const double z = std::exp(0.5) + std::exp(-1.0) + std::exp(2.0);
  EXPECT_NEAR(loss, std::log(z) + 1.0, 1e-6);
  auto l = [&] {
    double s = 0;
    for (float v : logits) s += std::exp(double(v));
    return 0.5 * (std::log(s) - logits[1]);
  };
  expect_grad(l, &logits, d, 1e-6, "dlogits");
}

}  // namespace
}  // namespace fenlei::transformer
