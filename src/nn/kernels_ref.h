// Scalar reference kernels, one per layer, written for clarity. The fast paths (conv1d.cc,
// dense.cc, embedding.cc) must match these within float tolerance; tests check both, and the
// finite-difference gradient checks run on these. Backward functions ACCUMULATE (+=) into
// parameter gradients and input gradients.
#pragma once

#include <cstdint>

namespace fenlei::nn {

// x:[len,dim] = table[ids[t]]
void embedding_forward_ref(const float* table, int dim, const int32_t* ids, int len, float* x);
// dtable[ids[t]] += dx[t]
void embedding_backward_ref(const float* dx, int dim, const int32_t* ids, int len, float* dtable);

// Valid 1-D convolution. x:[len,dim] w:[filters, width*dim] (w[f][k*dim+d] pairs x[t+k][d])
// b:[filters] y:[len-width+1, filters]. Requires len >= width.
void conv1d_forward_ref(const float* x, int len, int dim, const float* w, const float* b,
                        int width, int filters, float* y);
void conv1d_backward_ref(const float* x, int len, int dim, const float* w, int width, int filters,
                         const float* dy, float* dx, float* dw, float* db);

void relu_forward_ref(const float* x, int64_t n, float* y);
void relu_backward_ref(const float* x, const float* dy, int64_t n, float* dx);

// Max over time. x:[steps, channels] -> y:[channels], argmax:[channels] (first maximum).
void max_pool_forward_ref(const float* x, int steps, int channels, float* y, int32_t* argmax);
void max_pool_backward_ref(const float* dy, const int32_t* argmax, int channels, float* dx);

// x:[n,in] w:[out,in] b:[out] y:[n,out] = x w^T + b
void dense_forward_ref(const float* x, int n, int in, const float* w, const float* b, int out,
                       float* y);
void dense_backward_ref(const float* x, int n, int in, const float* w, int out, const float* dy,
                        float* dx, float* dw, float* db);

// Inverted dropout: y = keep ? x / (1 - rate) : 0.
void dropout_forward_ref(const float* x, const uint8_t* keep, float rate, int64_t n, float* y);
void dropout_backward_ref(const float* dy, const uint8_t* keep, float rate, int64_t n, float* dx);

// Mean over rows. x:[steps,dim] -> y:[dim]; steps == 0 gives zeros.
void mean_pool_forward_ref(const float* x, int steps, int dim, float* y);
void mean_pool_backward_ref(const float* dy, int steps, int dim, float* dx);

}  // namespace fenlei::nn
