// Helpers for the nn tests: random tensors and a central finite-difference gradient check.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace fenlei::nn::testing {

inline std::vector<float> random_vec(size_t n, std::mt19937& gen, float lo = -1.0f,
                                     float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(gen);
  return v;
}

// Checks analytic[i] against (f(x+eps) - f(x-eps)) / 2eps for every element of x, with
// |a - n| <= rtol * max(|a|, |n|) + atol. f is evaluated in double on float tensors.
inline void check_grad(std::vector<float>& x, const std::vector<float>& analytic,
                       const std::function<double()>& f, const char* what, double eps = 1e-2,
                       double rtol = 1e-2, double atol = 1e-4) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  for (size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    x[i] = static_cast<float>(saved + eps);
    const double up = f();
    x[i] = static_cast<float>(saved - eps);
    const double down = f();
    x[i] = saved;
    const double num = (up - down) / (2 * eps);
    const double a = analytic[i];
    EXPECT_LE(std::fabs(a - num), rtol * std::max(std::fabs(a), std::fabs(num)) + atol)
        << what << " element " << i << ": analytic " << a << " numeric " << num;
  }
}

// sum(y * r): a random linear functional, so d/dy = r.
inline double dot(const std::vector<float>& y, const std::vector<float>& r) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * r[i];
  return s;
}

}  // namespace fenlei::nn::testing
