// Per-example losses with numerically stable forms: binary cross-entropy on one logit
// (log-sigmoid) and categorical cross-entropy on C logits (log-sum-exp), both weighted.
#pragma once

namespace fenlei::nn {

// loss = weight * (softplus(z) - y*z); *dz = scale * weight * (sigmoid(z) - y). label in {0,1}.
double sigmoid_xent(float z, int label, float weight, float scale, float* dz);
// loss = weight * (logsumexp(z) - z[label]); dz = scale * weight * (softmax(z) - onehot).
// dz may be null (loss only).
double softmax_xent(const float* z, int classes, int label, float weight, float scale, float* dz);

// Probabilities for inference. sigmoid: out = [1-p, p]; softmax: normalised exp.
void sigmoid_proba(float z, float* out2);
void softmax_proba(const float* z, int classes, float* out);

}  // namespace fenlei::nn
