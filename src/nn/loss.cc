// Losses. Written once, in scalar form: they cost O(classes) per example, nothing to speed up.
#include "nn/loss.h"

#include <algorithm>
#include <cmath>

namespace fenlei::nn {

double sigmoid_xent(float z, int label, float weight, float scale, float* dz) {
  const double zd = z;
  // softplus(z) = max(z,0) + log1p(exp(-|z|)): never overflows.
  const double softplus = std::max(zd, 0.0) + std::log1p(std::exp(-std::fabs(zd)));
  const double loss = weight * (softplus - (label ? zd : 0.0));
  if (dz) {
    const double p = zd >= 0 ? 1.0 / (1.0 + std::exp(-zd)) : std::exp(zd) / (1.0 + std::exp(zd));
    *dz = static_cast<float>(scale * weight * (p - label));
  }
  return loss;
}

double softmax_xent(const float* z, int classes, int label, float weight, float scale, float* dz) {
  float mx = z[0];
  for (int c = 1; c < classes; ++c) mx = std::max(mx, z[c]);
  double sum = 0.0;
  for (int c = 0; c < classes; ++c) sum += std::exp(double(z[c]) - mx);
  const double lse = mx + std::log(sum);
  if (dz) {
    const double f = double(scale) * weight;
    for (int c = 0; c < classes; ++c) {
      const double p = std::exp(double(z[c]) - lse);
      dz[c] = static_cast<float>(f * (p - (c == label ? 1.0 : 0.0)));
    }
  }
  return weight * (lse - z[label]);
}

double ova_xent(const float* z, int classes, const int32_t* labels, int n_labels, float weight,
                float scale, float* dz) {
  double total = 0.0;
  // Targets are sparse: start from y = 0 everywhere, then correct the labelled classes.
  for (int c = 0; c < classes; ++c) total += sigmoid_xent(z[c], 0, weight, scale, dz ? dz + c : nullptr);
  for (int i = 0; i < n_labels; ++i) {
    const int c = labels[i];
    // softplus(z) - z  vs  softplus(z): the loss drops by weight * z; the gradient by scale*weight.
    total -= double(weight) * z[c];
    if (dz) dz[c] -= scale * weight;
  }
  return total;
}

double soft_softmax_xent(const float* z, int classes, const float* target, float temperature,
                         float weight, float scale, float* dz) {
  const double inv_t = 1.0 / temperature;
  double mx = z[0] * inv_t;
  for (int c = 1; c < classes; ++c) mx = std::max(mx, z[c] * inv_t);
  double sum = 0.0;
  for (int c = 0; c < classes; ++c) sum += std::exp(z[c] * inv_t - mx);
  const double lse = mx + std::log(sum);
  double loss = 0.0;
  // sum_c t_c * (lse - z_c/T): each term is >= 0, so no cancellation when the target is sharp.
  for (int c = 0; c < classes; ++c) loss += double(target[c]) * (lse - z[c] * inv_t);
  if (dz) {
    const double f = double(scale) * weight * inv_t;
    for (int c = 0; c < classes; ++c)
      dz[c] += static_cast<float>(f * (std::exp(z[c] * inv_t - lse) - target[c]));
  }
  return weight * loss;
}

double soft_sigmoid_xent(float z, float target, float temperature, float weight, float scale,
                         float* dz) {
  const double u = double(z) / temperature;
  const double softplus = std::max(u, 0.0) + std::log1p(std::exp(-std::fabs(u)));
  if (dz) {
    const double p = u >= 0 ? 1.0 / (1.0 + std::exp(-u)) : std::exp(u) / (1.0 + std::exp(u));
    *dz += static_cast<float>(double(scale) * weight * (p - target) / temperature);
  }
  return weight * (softplus - target * u);
}

void ova_proba(const float* z, int classes, float* out) {
  float two[2];
  for (int c = 0; c < classes; ++c) {
    sigmoid_proba(z[c], two);
    out[c] = two[1];
  }
}

void sigmoid_proba(float z, float* out2) {
  const double zd = z;
  const double p = zd >= 0 ? 1.0 / (1.0 + std::exp(-zd)) : std::exp(zd) / (1.0 + std::exp(zd));
  out2[0] = static_cast<float>(1.0 - p);
  out2[1] = static_cast<float>(p);
}

void softmax_proba(const float* z, int classes, float* out) {
  float mx = z[0];
  for (int c = 1; c < classes; ++c) mx = std::max(mx, z[c]);
  double sum = 0.0;
  for (int c = 0; c < classes; ++c) sum += std::exp(double(z[c]) - mx);
  for (int c = 0; c < classes; ++c) out[c] = static_cast<float>(std::exp(double(z[c]) - mx) / sum);
}

}  // namespace fenlei::nn
