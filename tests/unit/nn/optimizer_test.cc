// Optimizers (Adam vs a hand computation, AdamW, SGD momentum, state round trip), learning-rate
// schedules and the Grads helpers (sparse rows, add, scale, clipping, L2).
#include "nn/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <thread>
#include <vector>

#include "nn/lr_schedule.h"
#include "nn/params.h"

namespace fenlei::nn {
namespace {

Params one_param(float a, float b) {
  Params p;
  p.add("fc1/weight", {2});
  p[0].data = {a, b};
  return p;
}

TEST(Adam, MatchesHandComputedTwoSteps) {
  // Keras Adam, lr 0.1: element 0 sees gradients 0.5 then -0.25; element 1 always 0.
  // Expected values computed by hand in double:
  //   t=1: m=0.05 v=2.5e-4 lr_t=0.1*sqrt(1-.999)/(1-.9)  -> p=0.9000006324515321
  //   t=2: m=0.02 v=3.1225e-4 lr_t=0.1*sqrt(1-.999^2)/(1-.9^2) -> p=0.8733670792079219
  Params p = one_param(1.0f, 2.0f);
  Grads g(p);
  Optimizer adam = *Optimizer::create(OptimizerConfig{}, p);
  g[0].data = {0.5f, 0.0f};
  adam.step(p, g, 0.1f);
  EXPECT_NEAR(p[0].data[0], 0.9000006324515321, 1e-6);
  g[0].data = {-0.25f, 0.0f};
  adam.step(p, g, 0.1f);
  EXPECT_NEAR(p[0].data[0], 0.8733670792079219, 1e-6);
  EXPECT_EQ(p[0].data[1], 2.0f);
  EXPECT_EQ(adam.iterations(), 2);
}

TEST(Adam, MomentsDecayOnZeroGradientRowsLikeKeras) {
  Params p = one_param(1.0f, 1.0f);
  Grads g(p);
  Optimizer adam = *Optimizer::create(OptimizerConfig{}, p);
  g[0].data = {1.0f, 1.0f};
  adam.step(p, g, 0.1f);
  const float after1 = p[0].data[0];
  g[0].data = {0.0f, 1.0f};
  adam.step(p, g, 0.1f);
  // Zero gradient, yet the parameter keeps moving on its first moment (dense Keras update).
  EXPECT_LT(p[0].data[0], after1);
}

TEST(Adam, LazyEmbeddingsTouchOnlyRowsWithGradient) {
  Params p;
  p.add("embed/weight", {3, 5});  // 5 columns: exercises the SIMD body and the scalar tail
  for (float& x : p[0].data) x = 1.0f;
  Grads g(p, {"embed/weight"});
  OptimizerConfig lazy_c;
  lazy_c.lazy_embeddings = true;
  Optimizer lazy = *Optimizer::create(lazy_c, p), dense = *Optimizer::create({}, p);
  Params pd = p;
  float* row1 = g.touch_row(0, 1);
  for (int j = 0; j < 5; ++j) row1[j] = 0.1f * (j + 1);
  lazy.step(p, g, 0.1f);
  dense.step(pd, g, 0.1f);
  EXPECT_EQ(p[0].data, pd[0].data);  // identical on the first step (zero moments elsewhere)
  g.zero();
  g.touch_row(0, 2)[0] = 1.0f;
  lazy.step(p, g, 0.1f);
  dense.step(pd, g, 0.1f);
  EXPECT_NE(p[0].data[5], pd[0].data[5]);  // dense keeps moving row 1 on momentum; lazy does not
  EXPECT_EQ(p[0].data[0], 1.0f);
}

// Under lazy_embeddings an embedding table's moments exist only for rows that had a gradient
// (over several 1024-row blocks here); export_state writes zeros for the others, and a run
// resumed from the exported state continues bit for bit.
TEST(Adam, LazyRowMomentsExportImportAndResumeExactly) {
  auto make = [] {
    Params p;
    p.add("embed/weight", {2600, 5});
    p.add("fc/weight", {3});
    for (size_t k = 0; k < p[0].data.size(); ++k) p[0].data[k] = 0.001f * float(k % 97);
    p[1].data = {1.0f, 2.0f, 3.0f};
    return p;
  };
  OptimizerConfig c;
  c.lazy_embeddings = true;
  const int32_t rows[6][2] = {{0, 2500}, {1030, 7}, {2500, 1}, {7, 2047}, {2599, 0}, {1030, 3}};
  auto run_steps = [&](Optimizer& o, Params& p, int from, int to) {
    Grads g(p, {"embed/weight"});
    for (int s = from; s < to; ++s) {
      g.zero();
      for (int32_t r : rows[s]) {
        float* row = g.touch_row(0, r);
        for (int j = 0; j < 5; ++j) row[j] += 0.05f * float(j + 1 + s) * (r % 2 ? -1.0f : 1.0f);
      }
      g[1].data = {0.1f * float(s), -0.2f, 0.3f};
      o.step(p, g, 0.01f);
    }
  };
  Params whole = make();
  Optimizer straight = *Optimizer::create(c, whole);
  run_steps(straight, whole, 0, 6);

  Params resumed = make();
  Optimizer first = *Optimizer::create(c, resumed);
  run_steps(first, resumed, 0, 3);
  const Params state = first.export_state();
  const Tensor* m = state.find("adam/m/embed/weight");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->data.size(), 2600u * 5u);
  EXPECT_NE(m->data[1030 * 5], 0.0f);  // touched at step 1
  EXPECT_EQ(m->data[5 * 5], 0.0f);     // never touched
  Optimizer second = *Optimizer::create(c, resumed);
  ASSERT_TRUE(second.import_state(state).ok());
  run_steps(second, resumed, 3, 6);
  EXPECT_EQ(resumed[0].data, whole[0].data);
  EXPECT_EQ(resumed[1].data, whole[1].data);
  const Params a = straight.export_state(), b = second.export_state();
  for (int i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].data, b[i].data) << a[i].name;
}

TEST(Adam, SparseGradsGiveTheSameUpdateAsDenseGrads) {
  // A sparse gradient stores only touched rows; every optimizer must still read untouched rows
  // as zeros, bit for bit like a dense buffer (momentum keeps moving them after a touch).
  for (OptimizerKind kind : {OptimizerKind::kAdam, OptimizerKind::kAdamW, OptimizerKind::kSgd}) {
    Params p;
    p.add("embed/weight", {4, 5});
    for (size_t k = 0; k < p[0].data.size(); ++k) p[0].data[k] = 0.01f * float(k);
    OptimizerConfig c;
    c.kind = kind;
    c.weight_decay = kind == OptimizerKind::kAdamW ? 0.01f : 0.0f;
    c.momentum = kind == OptimizerKind::kSgd ? 0.9f : 0.0f;
    Params pd = p;
    Optimizer sparse_opt = *Optimizer::create(c, p), dense_opt = *Optimizer::create(c, pd);
    Grads gs(p, {"embed/weight"}), gd(p);
    for (int step = 0; step < 3; ++step) {
      gs.zero();
      gd.zero();
      const int32_t row = step == 0 ? 1 : 3;
      float* r = gs.touch_row(0, row);
      for (int j = 0; j < 5; ++j) r[j] = gd[0].data[size_t(row) * 5 + j] = 0.1f * (j + 1 + step);
      sparse_opt.step(p, gs, 0.1f);
      dense_opt.step(pd, gd, 0.1f);
    }
    EXPECT_EQ(p[0].data, pd[0].data) << optimizer_kind_name(kind);
  }
}

// The trainer runs a step in one part per thread (Optimizer::step with parts): for every
// optimizer, with dense, sparse and row-lazy tensors of sizes that split unevenly (and a tensor
// smaller than one part's 64-element block), the parts give step()'s result bit for bit, run in
// any order and on real threads.
TEST(Optimizer, StepInPartsEqualsOneStepBitForBit) {
  for (OptimizerKind kind : {OptimizerKind::kAdam, OptimizerKind::kAdamW, OptimizerKind::kSgd}) {
    for (const bool lazy : {false, true}) {
      Params p;
      p.add("embed/weight", {300, 7});
      p.add("conv/weight", {13, 59});
      p.add("conv/bias", {13});
      for (Tensor& t : p)
        for (size_t k = 0; k < t.data.size(); ++k)
          t.data[k] = 0.001f * float((k * 37) % 101) - 0.05f;
      OptimizerConfig c;
      c.kind = kind;
      c.weight_decay = kind == OptimizerKind::kAdamW ? 0.01f : 0.0f;
      c.momentum = kind == OptimizerKind::kSgd ? 0.9f : 0.0f;
      c.lazy_embeddings = lazy && kind != OptimizerKind::kSgd;
      for (const int parts : {2, 3, 5}) {
        Params whole = p, split = p;
        Optimizer a = *Optimizer::create(c, whole), b = *Optimizer::create(c, split);
        Grads g(p, {"embed/weight"});
        for (int step = 0; step < 3; ++step) {
          g.zero();
          for (int32_t row : {step, 17 + step, 250}) {
            float* r = g.touch_row(0, row);
            for (int j = 0; j < 7; ++j) r[j] = 0.01f * float(j + row % 5 - step);
          }
          for (int i = 1; i < g.size(); ++i)
            for (size_t k = 0; k < g[i].data.size(); ++k)
              g[i].data[k] = 0.002f * float((k * 13 + size_t(step)) % 29) - 0.03f;
          a.step(whole, g, 0.05f);
          b.step(split, g, 0.05f, parts, [step](int n, const std::function<void(int)>& fn) {
            if (step == 1) {  // on real threads
              std::vector<std::thread> threads;
              for (int q = 0; q < n; ++q) threads.emplace_back(fn, q);
              for (std::thread& t : threads) t.join();
            } else {  // in reverse order
              for (int q = n - 1; q >= 0; --q) fn(q);
            }
          });
        }
        for (int i = 0; i < p.size(); ++i)
          ASSERT_EQ(whole[i].data, split[i].data)
              << optimizer_kind_name(kind) << (lazy ? " lazy " : " ") << parts << " parts, "
              << p[i].name;
        EXPECT_NE(whole[1].data, p[1].data);  // the step moved the weights
      }
    }
  }
}

// The trainer's reduction of the threads' gradients runs in parts too: together they equal add().
TEST(Grads, AddInPartsEqualsAdd) {
  Params p;
  p.add("embed/weight", {6, 3});
  p.add("out/weight", {5, 11});
  Grads x(p, {"embed/weight"}), y(p, {"embed/weight"});
  x.touch_row(0, 2)[1] = 1.5f;
  y.touch_row(0, 4)[0] = -2.0f;
  y.touch_row(0, 2)[1] = 0.25f;
  for (size_t k = 0; k < 55; ++k) {
    x[1].data[k] = 0.1f * float(k);
    y[1].data[k] = 0.3f - 0.07f * float(k);
  }
  for (const int parts : {1, 2, 4, 7}) {
    Grads whole = x, split = x;
    whole.add(y);
    for (int q = parts - 1; q >= 0; --q) split.add(y, q, parts);
    EXPECT_EQ(whole.touched_rows(0), split.touched_rows(0)) << parts;
    EXPECT_EQ(whole.dense(0), split.dense(0)) << parts;
    EXPECT_EQ(whole[1].data, split[1].data) << parts;
  }
}

TEST(AdamW, DecoupledDecaySkipsBiases) {
  Params p;
  p.add("fc1/weight", {1});
  p.add("fc1/bias", {1});
  p[0].data = {1.0f};
  p[1].data = {1.0f};
  Grads g(p);
  OptimizerConfig c;
  c.kind = OptimizerKind::kAdamW;
  c.weight_decay = 0.1f;
  Optimizer o = *Optimizer::create(c, p);
  o.step(p, g, 0.5f);  // zero gradient: only decay acts
  EXPECT_FLOAT_EQ(p[0].data[0], 1.0f - 0.5f * 0.1f);
  EXPECT_FLOAT_EQ(p[1].data[0], 1.0f);
}

TEST(Sgd, MomentumMatchesKeras) {
  Params p = one_param(1.0f, 0.0f);
  Grads g(p);
  OptimizerConfig c;
  c.kind = OptimizerKind::kSgd;
  c.momentum = 0.9f;
  Optimizer o = *Optimizer::create(c, p);
  g[0].data = {1.0f, 0.0f};
  o.step(p, g, 0.1f);  // v = -0.1, p = 0.9
  EXPECT_FLOAT_EQ(p[0].data[0], 0.9f);
  o.step(p, g, 0.1f);  // v = 0.9*-0.1 - 0.1 = -0.19, p = 0.71
  EXPECT_FLOAT_EQ(p[0].data[0], 0.71f);
  c.momentum = 0.0f;
  Optimizer plain = *Optimizer::create(c, p);
  plain.step(p, g, 0.5f);
  EXPECT_FLOAT_EQ(p[0].data[0], 0.21f);
}

TEST(Optimizer, StateRoundTripResumesExactly) {
  Params p = one_param(1.0f, -1.0f);
  Grads g(p);
  g[0].data = {0.3f, -0.7f};
  Optimizer a = *Optimizer::create(OptimizerConfig{}, p);
  a.step(p, g, 0.01f);
  a.step(p, g, 0.01f);
  Params state = a.export_state();
  ASSERT_NE(state.find("adam/m/fc1/weight"), nullptr);
  ASSERT_NE(state.find("adam/v/fc1/weight"), nullptr);
  Optimizer b = *Optimizer::create(OptimizerConfig{}, p);
  ASSERT_TRUE(b.import_state(state).ok());
  EXPECT_EQ(b.iterations(), 2);
  Params pa = p, pb = p;
  a.step(pa, g, 0.01f);
  b.step(pb, g, 0.01f);
  EXPECT_EQ(pa[0].data, pb[0].data);

  Params broken = state;
  broken.find("adam/v/fc1/weight")->shape = {3};
  EXPECT_FALSE(b.import_state(broken).ok());
  Params missing;
  EXPECT_FALSE(b.import_state(missing).ok());
}

TEST(Optimizer, ConfigValidation) {
  OptimizerConfig c;
  c.beta2 = 1.0f;
  EXPECT_FALSE(c.validate().ok());
  EXPECT_FALSE(parse_optimizer_kind("rmsprop").ok());
  EXPECT_EQ(*parse_optimizer_kind("adamw"), OptimizerKind::kAdamW);
}

TEST(LrSchedule, ConstantStepCosineWarmup) {
  LrScheduleConfig c;
  c.base_lr = 1.0f;
  LrSchedule s = *LrSchedule::create(c);
  EXPECT_FLOAT_EQ(s.lr(5, 3, 10), 1.0f);

  c.decay = LrDecay::kStep;
  c.step_epochs = 2;
  c.gamma = 0.1f;
  s = *LrSchedule::create(c);
  EXPECT_FLOAT_EQ(s.lr(1, 9, 10), 1.0f);
  EXPECT_FLOAT_EQ(s.lr(2, 0, 10), 0.1f);
  EXPECT_NEAR(s.lr(5, 0, 10), 0.01f, 1e-7);

  c.decay = LrDecay::kCosine;
  c.total_epochs = 4;
  c.min_lr = 0.2f;
  s = *LrSchedule::create(c);
  EXPECT_FLOAT_EQ(s.lr(0, 0, 10), 1.0f);
  EXPECT_NEAR(s.lr(2, 0, 10), 0.6f, 1e-6);  // halfway
  EXPECT_NEAR(s.lr(9, 0, 10), 0.2f, 1e-6);  // floor after the horizon

  c.decay = LrDecay::kConstant;
  c.warmup_steps = 4;
  s = *LrSchedule::create(c);
  EXPECT_FLOAT_EQ(s.lr(0, 0, 10), 0.25f);
  EXPECT_FLOAT_EQ(s.lr(0, 3, 10), 1.0f);
  EXPECT_FLOAT_EQ(s.lr(1, 0, 10), 1.0f);
}

TEST(LrSchedule, ReduceOnPlateau) {
  LrScheduleConfig c;
  c.base_lr = 1.0f;
  c.plateau_factor = 0.5f;
  c.plateau_patience = 2;
  c.min_lr = 0.2f;
  LrSchedule s = *LrSchedule::create(c);
  EXPECT_FALSE(s.on_epoch_end(1.0));
  EXPECT_FALSE(s.on_epoch_end(0.9));
  EXPECT_FALSE(s.on_epoch_end(0.95));
  EXPECT_TRUE(s.on_epoch_end(0.92));  // second epoch without improvement
  EXPECT_FLOAT_EQ(s.lr(4, 0, 10), 0.5f);
  for (int i = 0; i < 10; ++i) s.on_epoch_end(1.0);
  EXPECT_FLOAT_EQ(s.lr(20, 0, 10), 0.2f);  // never below the floor
  LrScheduleConfig bad = c;
  bad.base_lr = 0.0f;
  EXPECT_FALSE(LrSchedule::create(bad).ok());
}

TEST(Grads, SparseRowsAddScaleClipZero) {
  Params p;
  p.add("embed/weight", {5, 2});
  p.add("out/weight", {1, 2});
  Grads a(p, {"embed/weight"}), b(p, {"embed/weight"});
  EXPECT_TRUE(a.is_sparse(0));
  EXPECT_FALSE(a.is_sparse(1));
  a.touch_row(0, 3)[0] = 3.0f;
  b.touch_row(0, 1)[0] = 4.0f;
  b.touch_row(0, 3)[1] = 1.0f;
  b[1].data = {0.0f, 0.0f};
  a.add(b);
  EXPECT_EQ(a.touched_rows(0), (std::vector<int32_t>{3, 1}));
  EXPECT_FLOAT_EQ(a.dense(0)[2], 4.0f);
  EXPECT_FLOAT_EQ(a.dense(0)[7], 1.0f);
  EXPECT_EQ(a.row(0, 0), nullptr);  // untouched rows are not stored
  EXPECT_TRUE(a[0].data.empty());
  EXPECT_NEAR(a.global_norm(), std::sqrt(9.0 + 16.0 + 1.0), 1e-6);
  const double before = a.clip_by_global_norm(1.0);
  EXPECT_NEAR(before, std::sqrt(26.0), 1e-6);
  EXPECT_NEAR(a.global_norm(), 1.0, 1e-6);
  a.scale(2.0f);
  EXPECT_NEAR(a.global_norm(), 2.0, 1e-6);
  a.zero();
  EXPECT_TRUE(a.touched_rows(0).empty());
  for (float x : a[0].data) EXPECT_EQ(x, 0.0f);
}

TEST(Grads, L2SkipsEmbeddingsAndBiases) {
  Params p;
  p.add("embed/weight", {2, 1});
  p.add("fc1/weight", {2});
  p.add("fc1/bias", {1});
  p[0].data = {1.0f, 1.0f};
  p[1].data = {1.0f, -2.0f};
  p[2].data = {5.0f};
  Grads g(p, {"embed/weight"});
  const double loss = add_l2_grad(p, 0.1f, {"embed/weight"}, g);
  EXPECT_NEAR(loss, 0.1 * 5.0, 1e-6);
  EXPECT_FLOAT_EQ(g[1].data[0], 0.2f);
  EXPECT_FLOAT_EQ(g[1].data[1], -0.4f);
  EXPECT_EQ(g.row(0, 0), nullptr);  // the skipped embedding got no L2 gradient
  EXPECT_EQ(g[2].data[0], 0.0f);
}

}  // namespace
}  // namespace fenlei::nn
