// Branch-free float exp / tanh / sigmoid for the recurrent cells' elementwise loops: libm's
// scalar tanhf/expm1f were a third of a bilstm training step, and these inline forms let the
// compiler vectorise the gate loops. exp: Cody-Waite range reduction and Cephes' degree-6
// polynomial, relative error ~2e-7 over the clamped range [-87, 88]; tanh and sigmoid built on
// it have absolute error ~2e-7. Deterministic (plain IEEE arithmetic, no lookup tables).
#pragma once

#include <cstdint>
#include <cstring>

namespace fenlei::nn {

inline float fast_exp(float x) {
  x = x > -87.0f ? x : -87.0f;  // maxss/minss forms: no branch, so loops vectorise
  x = x < 88.0f ? x : 88.0f;
  // Round x / ln2 to the nearest integer by the 1.5 * 2^23 trick (exact for |v| < 2^22).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return y * scale;
}

inline float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

inline float fast_tanh(float x) { return 1.0f - 2.0f / (fast_exp(2.0f * x) + 1.0f); }

}  // namespace fenlei::nn
