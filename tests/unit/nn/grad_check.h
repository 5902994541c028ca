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
// The networks have kinks (ReLU, max pooling): when one lies inside x ± eps the central
// difference averages two slopes and says nothing about either. Which elements sit that close
// depends on the last bits of the forward pass (the BLAS kernel the CPU gets, the compiler), so
// an element that misses is measured again with steps of eps/4 and eps/16, which stay on one
// side of a kink that is not right at x, and it passes if one of them agrees. A wrong gradient
// disagrees at every step.
inline void check_grad(std::vector<float>& x, const std::vector<float>& analytic,
                       const std::function<double()>& f, const char* what, double eps = 1e-2,
                       double rtol = 1e-2, double atol = 1e-4) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  auto numeric = [&](size_t i, double step) {
    const float saved = x[i];
    x[i] = static_cast<float>(saved + step);
    const double up = f();
    x[i] = static_cast<float>(saved - step);
    const double down = f();
    x[i] = saved;
    return (up - down) / (2 * step);
  };
  auto agrees = [&](double a, double num) {
    return std::fabs(a - num) <= rtol * std::max(std::fabs(a), std::fabs(num)) + atol;
  };
  for (size_t i = 0; i < x.size(); ++i) {
    const double a = analytic[i];
    const double num = numeric(i, eps);
    if (agrees(a, num)) continue;
    const double num4 = numeric(i, eps / 4), num16 = numeric(i, eps / 16);
    EXPECT_TRUE(agrees(a, num4) || agrees(a, num16))
        << what << " element " << i << ": analytic " << a << " numeric " << num << " (step "
        << eps << "), " << num4 << " (step " << eps / 4 << "), " << num16 << " (step "
        << eps / 16 << ")";
  }
}

// sum(y * r): a random linear functional, so d/dy = r.
inline double dot(const std::vector<float>& y, const std::vector<float>& r) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * r[i];
  return s;
}

}  // namespace fenlei::nn::testing
