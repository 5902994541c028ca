// Scalar reference kernels (see kernels_ref.h).
#include "nn/kernels_ref.h"

#include <cstring>

namespace fenlei::nn {

void embedding_forward_ref(const float* table, int dim, const int32_t* ids, int len, float* x) {
  for (int t = 0; t < len; ++t)
    for (int d = 0; d < dim; ++d) x[t * dim + d] = table[int64_t(ids[t]) * dim + d];
}

void embedding_backward_ref(const float* dx, int dim, const int32_t* ids, int len, float* dtable) {
  for (int t = 0; t < len; ++t)
    for (int d = 0; d < dim; ++d) dtable[int64_t(ids[t]) * dim + d] += dx[t * dim + d];
}

void conv1d_forward_ref(const float* x, int len, int dim, const float* w, const float* b,
                        int width, int filters, float* y) {
  const int steps = len - width + 1;
  for (int t = 0; t < steps; ++t) {
    for (int f = 0; f < filters; ++f) {
      double acc = b[f];
      for (int k = 0; k < width; ++k)
        for (int d = 0; d < dim; ++d)
          acc += double(w[(int64_t(f) * width + k) * dim + d]) * x[(t + k) * dim + d];
      y[t * filters + f] = static_cast<float>(acc);
    }
  }
}

void conv1d_backward_ref(const float* x, int len, int dim, const float* w, int width, int filters,
                         const float* dy, float* dx, float* dw, float* db) {
  const int steps = len - width + 1;
  for (int t = 0; t < steps; ++t) {
    for (int f = 0; f < filters; ++f) {
      const float g = dy[t * filters + f];
      db[f] += g;
      for (int k = 0; k < width; ++k) {
        for (int d = 0; d < dim; ++d) {
          const int64_t wi = (int64_t(f) * width + k) * dim + d;
          dw[wi] += g * x[(t + k) * dim + d];
          dx[(t + k) * dim + d] += g * w[wi];
        }
      }
    }
  }
}

void relu_forward_ref(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward_ref(const float* x, const float* dy, int64_t n, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
}

void max_pool_forward_ref(const float* x, int steps, int channels, float* y, int32_t* argmax) {
  for (int c = 0; c < channels; ++c) {
    int32_t best = 0;
    for (int t = 1; t < steps; ++t)
      if (x[t * channels + c] > x[best * channels + c]) best = t;
    argmax[c] = best;
    y[c] = x[best * channels + c];
  }
}

void max_pool_backward_ref(const float* dy, const int32_t* argmax, int channels, float* dx) {
  for (int c = 0; c < channels; ++c) dx[argmax[c] * channels + c] += dy[c];
}

void dense_forward_ref(const float* x, int n, int in, const float* w, const float* b, int out,
                       float* y) {
  for (int i = 0; i < n; ++i) {
    for (int o = 0; o < out; ++o) {
      double acc = b[o];
      for (int k = 0; k < in; ++k) acc += double(x[i * in + k]) * w[int64_t(o) * in + k];
      y[i * out + o] = static_cast<float>(acc);
    }
  }
}

void dense_backward_ref(const float* x, int n, int in, const float* w, int out, const float* dy,
                        float* dx, float* dw, float* db) {
  for (int i = 0; i < n; ++i) {
    for (int o = 0; o < out; ++o) {
      const float g = dy[i * out + o];
      db[o] += g;
      for (int k = 0; k < in; ++k) {
        dw[int64_t(o) * in + k] += g * x[i * in + k];
        dx[i * in + k] += g * w[int64_t(o) * in + k];
      }
    }
  }
}

void dropout_forward_ref(const float* x, const uint8_t* keep, float rate, int64_t n, float* y) {
  const float s = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < n; ++i) y[i] = keep[i] ? x[i] * s : 0.0f;
}

void dropout_backward_ref(const float* dy, const uint8_t* keep, float rate, int64_t n, float* dx) {
  const float s = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < n; ++i) dx[i] += keep[i] ? dy[i] * s : 0.0f;
}

void mean_pool_forward_ref(const float* x, int steps, int dim, float* y) {
  for (int d = 0; d < dim; ++d) {
    double acc = 0.0;
    for (int t = 0; t < steps; ++t) acc += x[t * dim + d];
    y[d] = steps > 0 ? static_cast<float>(acc / steps) : 0.0f;
  }
}

void mean_pool_backward_ref(const float* dy, int steps, int dim, float* dx) {
  for (int t = 0; t < steps; ++t)
    for (int d = 0; d < dim; ++d) dx[t * dim + d] += dy[d] / steps;
}

}  // namespace fenlei::nn
