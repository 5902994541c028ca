// Per-example losses with numerically stable forms: binary cross-entropy on one logit
// (log-sigmoid) and categorical cross-entropy on C logits (log-sum-exp), both weighted; and
// their soft-target forms for knowledge distillation (a target distribution, not a label).
#pragma once

#include <cstdint>

namespace fenlei::nn {

// loss = weight * (softplus(z) - y*z); *dz = scale * weight * (sigmoid(z) - y). label in {0,1}.
double sigmoid_xent(float z, int label, float weight, float scale, float* dz);
// loss = weight * (logsumexp(z) - z[label]); dz = scale * weight * (softmax(z) - onehot).
// dz may be null (loss only).
double softmax_xent(const float* z, int classes, int label, float weight, float scale, float* dz);

// Multi-label (one-versus-all) loss: the sum over classes of binary cross-entropy, class c's
// target 1 when c is among labels[0, n_labels), else 0 (fastText's -loss ova).
// dz[c] = scale * weight * (sigmoid(z[c]) - y[c]); dz may be null (loss only).
double ova_xent(const float* z, int classes, const int32_t* labels, int n_labels, float weight,
                float scale, float* dz);

// Knowledge distillation (Hinton et al. 2015): cross-entropy of the student's distribution at
// temperature T against a target distribution (the teacher's, already softened at T):
//   loss = weight * sum_c -target[c] * log softmax(z / T)[c]
//   dz  += scale * weight * (softmax(z / T) - target) / T       (ADDED to dz, not stored, so
// it mixes with a hard-label loss computed first; dz may be null). target sums to 1.
// The caller scales weight by T^2 to keep the gradient's size independent of T, as the paper.
double soft_softmax_xent(const float* z, int classes, const float* target, float temperature,
                         float weight, float scale, float* dz);
// The same for a single sigmoid logit (two classes): target = probability of class 1.
//   loss = weight * (softplus(z/T) - target * z/T);  dz += scale * weight * (sigmoid(z/T) - target) / T
double soft_sigmoid_xent(float z, float target, float temperature, float weight, float scale,
                         float* dz);

// Probabilities for inference. sigmoid: out = [1-p, p]; softmax: normalised exp.
void sigmoid_proba(float z, float* out2);
void softmax_proba(const float* z, int classes, float* out);
// ova: out[c] = sigmoid(z[c]), each class on its own.
void ova_proba(const float* z, int classes, float* out);

}  // namespace fenlei::nn
