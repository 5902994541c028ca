// Attention pooling of one sequence (Zhou et al. 2016, "Att-BiLSTM"): scores s_t = w . tanh(o_t),
// alpha = softmax(s), feature = sum_t alpha_t o_t. One learned vector w of the output width.
#pragma once

namespace fenlei::nn {

// o:[len, dim] w:[dim]. Writes feat:[dim] (zeros when len == 0), t:[len, dim] = tanh(o) and
// alpha:[len] (kept for the backward pass).
void attention_pool_forward(const float* o, int len, int dim, const float* w, float* t,
                            float* alpha, float* feat);

// The scores s[p] = w . t[p] of t:[len, dim], each summed in order j = 0, 1, ...: the scalar
// reference and an AVX2 version (eight tokens at a time, one per lane) equal to it bit for bit.
void attention_scores_ref(const float* t, int len, int dim, const float* w, float* s);
void attention_scores_avx2(const float* t, int len, int dim, const float* w, float* s);

// Given dfeat:[dim], adds the gradient to d_o:[len, dim] and dw:[dim].
void attention_pool_backward(const float* o, int len, int dim, const float* w, const float* t,
                             const float* alpha, const float* dfeat, float* d_o, float* dw);

}  // namespace fenlei::nn
