// Whole-network checks shared by the architecture tests (network_test, recurrent_test,
// dpcnn_test): random ragged batches, the central-difference check of every tensor's gradient,
// a batch split over two workspaces against the whole batch, and short training runs for
// run-to-run determinism.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "grad_check.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "test_util.h"

namespace fenlei::nn::testing {

// n texts of 0..max_len ids in [1, vocab), random labels and weights in [0.5, 2].
inline Batch random_batch(int n, int vocab, int classes, int max_len, std::mt19937& gen) {
  Batch b;
  std::uniform_int_distribution<int> len_d(0, max_len), id_d(1, vocab - 1), lab_d(0, classes - 1);
  std::uniform_real_distribution<float> w_d(0.5f, 2.0f);
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> t(len_d(gen));
    for (auto& x : t) x = id_d(gen);
    b.add(t, lab_d(gen), w_d(gen));
  }
  return b;
}

// The gradient of forward_backward's mean loss over b, for every tensor of net, against the
// central difference with step eps (dropout masks are fixed by the rng's seed and step).
inline void check_network_grads(Network& net, const Batch& b, bool train, double eps,
                                double rtol = 2e-2, double atol = 3e-4) {
  ASSERT_TRUE(net.validate_batch(b, true).ok());
  Workspace ws;
  Rng rng(9);
  rng.set_step(4);
  Grads g = net.make_grads();
  forward_backward(net, b, 0, b.size(), ws, g, rng, train);
  Grads scratch = net.make_grads();
  auto f = [&] {
    return forward_backward(net, b, 0, b.size(), ws, scratch, rng, train) / b.size();
  };
  for (int i = 0; i < net.params().size(); ++i)
    check_grad(net.params()[i].data, g.dense(i), f, net.params()[i].name.c_str(), eps, rtol, atol);
}

// Loss and gradients of b[0, split) plus b[split, size) (as two threads would) equal those of
// the whole batch, within tol.
inline void expect_split_equals_whole(const Network& net, const Batch& b, size_t split,
                                      double tol) {
  Rng rng(77);
  rng.set_step(12);
  Workspace ws0, ws1, ws2;
  Grads whole = net.make_grads(), a = net.make_grads(), bg = net.make_grads();
  const double l = forward_backward(net, b, 0, b.size(), ws0, whole, rng, true);
  const double la = forward_backward(net, b, 0, split, ws1, a, rng, true);
  const double lb = forward_backward(net, b, split, b.size(), ws2, bg, rng, true);
  EXPECT_NEAR(l, la + lb, 1e-5 * std::fabs(l));
  a.add(bg);
  for (int i = 0; i < whole.size(); ++i)
    fenlei::testing::expect_array_near(a.dense(i), whole.dense(i), tol);
  EXPECT_GT(whole.global_norm(), 0.0);
}

// The parameters after three Adam steps on random batches of 8 texts (up to 20 ids), from
// init seed 8: twice the same config must give the same bytes.
inline Params train_three_steps(const ModelConfig& c) {
  Network net = *Network::create(c, 8);
  Optimizer opt = *Optimizer::create(OptimizerConfig{}, net.params());
  std::mt19937 gen(6);
  Workspace ws;
  Grads g = net.make_grads();
  Rng rng(1);
  for (int step = 0; step < 3; ++step) {
    Batch b = random_batch(8, int(c.vocab_size), c.num_classes, 20, gen);
    g.zero();
    rng.set_step(step);
    forward_backward(net, b, 0, b.size(), ws, g, rng, true);
    opt.step(net.params(), g, 1e-2f);
  }
  return net.params();
}

inline void expect_identical_params(const Params& p1, const Params& p2) {
  ASSERT_EQ(p1.size(), p2.size());
  for (int i = 0; i < p1.size(); ++i)
    EXPECT_EQ(0, std::memcmp(p1[i].data.data(), p2[i].data.data(), p1[i].data.size() * 4))
        << p1[i].name;
}

}  // namespace fenlei::nn::testing
