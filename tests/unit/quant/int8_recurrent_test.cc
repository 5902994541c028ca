// int8 models of the recurrent presets (issue 15): int8 embedding, head, input projections W_ih
// and recurrence matrices W_hh (quant/int8_recurrence.h).
#include "quant/int8_recurrent.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "nn/recurrent_encoder.h"
#include "nn/recurrent_token_projection.h"
#include "quant/int8_model.h"
#include "quant/kernels.h"

namespace fenlei::quant {
namespace {

nn::Network make_rnn(const std::string& preset, int classes, std::vector<int> hidden = {}) {
  nn::ModelConfig c = *nn::ModelConfig::preset(preset);
  c.vocab_size = 300;
  c.num_classes = classes;
  c.rnn_hidden = 24;
  c.hidden = std::move(hidden);
  if (c.arch == nn::Arch::kRcnn) c.rcnn_dim = 32;
  auto net = nn::Network::create(c, 11);
  EXPECT_TRUE(net.ok()) << net.status().message();
  auto& embed = net->params()[net->embed_index()].data;  // trained-looking rows
  for (size_t i = 0; i < 40 * size_t(c.embed_dim); ++i) embed[i] *= 8.0f;
  return std::move(*net);
}

nn::Batch random_batch(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> tok(1, 299), len(0, 30);
  nn::Batch b;
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> t(size_t(len(rng)));
    for (auto& v : t) v = tok(rng);
    b.add(t);
  }
  return b;
}

class Int8Recurrent : public ::testing::TestWithParam<const char*> {};

TEST_P(Int8Recurrent, MatchesFloatClosely) {
  for (bool per_row : {false, true}) {
    const nn::Network net = make_rnn(GetParam(), 3, {16});
    auto q = Int8Model::quantize(net, {true, per_row});
    ASSERT_TRUE(q.ok()) << q.status().message();
    ASSERT_NE(q->recurrent_part(), nullptr);
    const nn::Batch batch = random_batch(40, 5);
    std::vector<float> pf(batch.size() * 3), pq(pf.size());
    nn::Workspace wsf;
    nn::predict_proba(net, batch, wsf, pf.data());
    Int8Workspace wsq;
    predict_proba_int8(*q, batch, wsq, pq.data());
    float worst = 0;
    for (size_t i = 0; i < pf.size(); ++i) worst = std::max(worst, std::fabs(pf[i] - pq[i]));
    EXPECT_LT(worst, 0.02f) << GetParam();
    for (size_t i = 0; i < batch.size(); ++i)
      EXPECT_NEAR(pq[i * 3] + pq[i * 3 + 1] + pq[i * 3 + 2], 1.0f, 1e-5f);
  }
}

TEST_P(Int8Recurrent, TensorRoundTripAndDequantize) {
  const nn::Network net = make_rnn(GetParam(), 2);
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  const auto tensors = q->to_tensors();
  auto back = Int8Model::from_tensors(net.config(), tensors, "m");
  ASSERT_TRUE(back.ok()) << back.status().message();
  const nn::Batch batch = random_batch(10, 9);
  std::vector<float> a(20), b(20);
  Int8Workspace ws;
  predict_proba_int8(*q, batch, ws, a.data());
  predict_proba_int8(*back, batch, ws, b.data());
  EXPECT_EQ(a, b);
  // The embedding, W_ih and W_hh as int8 (+ scale); biases float.
  int int8_inputs = 0, int8_hidden = 0;
  for (const auto& t : tensors) {
    if (t.name == "embed/weight") {
      EXPECT_EQ(t.dtype, format::DType::kI8);
    }
    if (t.name.size() > 5 && t.name.compare(t.name.size() - 5, 5, "/w_ih") == 0) {
      EXPECT_EQ(t.dtype, format::DType::kI8) << t.name;
      ++int8_inputs;
    }
    if (t.name.size() > 5 && t.name.compare(t.name.size() - 5, 5, "/w_hh") == 0) {
      EXPECT_EQ(t.dtype, format::DType::kI8) << t.name;
      ++int8_hidden;
    }
    if (t.name.find("/w_hh_scale") != std::string::npos) {
      EXPECT_EQ(t.dtype, format::DType::kF32);
      EXPECT_EQ(t.shape, std::vector<int64_t>{net.params()[net.recurrent().w_hh[0]].shape[0]});
    }
  }
  EXPECT_EQ(int8_inputs, 2);
  EXPECT_EQ(int8_hidden, 2);
  ASSERT_EQ(back->recurrent_input().size(), 2u);
  ASSERT_EQ(back->recurrent_hidden().size(), 2u);
  auto deq = q->dequantize();
  ASSERT_TRUE(deq.ok());
  // W_hh dequantised: within half a step of its row's scale.
  const int w = net.recurrent().w_hh[1];
  const Int8Linear& wq = q->recurrent_hidden()[1];
  for (size_t i = 0; i < net.params()[w].data.size(); ++i)
    ASSERT_LE(std::fabs(deq->params()[w].data[i] - net.params()[w].data[i]),
              0.5f * wq.scale[i / size_t(wq.in)] * 1.0001f);
  const int bias = net.recurrent().b_ih[1];
  EXPECT_EQ(deq->params()[bias].data, net.params()[bias].data);
  // A missing recurrent tensor is a corrupt file.
  std::vector<format::Tensor> missing;
  for (const auto& t : tensors)
    if (t.name.find("_bwd/w_ih") == std::string::npos) missing.push_back(t);
  EXPECT_FALSE(Int8Model::from_tensors(net.config(), missing, "m").ok());
}

// Files written before W_ih was quantised hold it as f32: they load, and run W_ih in float.
TEST_P(Int8Recurrent, FloatInputProjectionFilesStillLoad) {
  const nn::Network net = make_rnn(GetParam(), 3);
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  std::vector<format::Tensor> old;
  for (const auto& t : q->to_tensors()) {
    if (t.name.find("/w_ih_scale") != std::string::npos) continue;
    if (t.name.find("/w_ih") != std::string::npos) {
      const nn::Tensor* w = net.params().find(t.name);
      ASSERT_NE(w, nullptr);
      old.push_back(format::make_f32_tensor(t.name, w->shape, w->data));
      continue;
    }
    old.push_back(t);
  }
  auto back = Int8Model::from_tensors(net.config(), old, "old");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->recurrent_input().empty());
  const nn::Batch batch = random_batch(30, 4);
  std::vector<float> a(90), b(90);
  Int8Workspace ws;
  predict_proba_int8(*q, batch, ws, a.data());
  predict_proba_int8(*back, batch, ws, b.data());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 0.01f) << i;
  // Half-quantised (one direction int8, one float) is corrupt.
  std::vector<format::Tensor> mixed;
  for (const auto& t : q->to_tensors())
    if (t.name.find("_bwd/w_ih") == std::string::npos) mixed.push_back(t);
  for (const auto& t : old)
    if (t.name.find("_bwd/w_ih") != std::string::npos) mixed.push_back(t);
  EXPECT_FALSE(Int8Model::from_tensors(net.config(), mixed, "mixed").ok());
}

// The int8 input projection against its scalar reference, bit for bit: the gate pre-activations
// the engine hands the recurrence equal those of the reference quantiser and GEMM (then the
// same float rescale), on every kernel this CPU has, for a ragged batch's packed rows.
TEST_P(Int8Recurrent, InputProjectionEqualsScalarReferenceBitExact) {
  const nn::Network net = make_rnn(GetParam(), 2);
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->recurrent_input().size(), 2u);
  const Int8Linear& l = q->recurrent_input()[1];
  std::mt19937 gen(3);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  const int rows = 53, kp = l.packed.kp;
  std::vector<float> x(size_t(rows) * l.in);
  for (float& v : x) v = nd(gen);
  Int8Workspace ws;
  std::vector<float> got(size_t(rows) * l.out);
  int8_linear_forward(l, x.data(), rows, ws, got.data());

  std::vector<uint8_t> a(size_t(rows) * kp);
  std::vector<float> sa(static_cast<size_t>(rows));
  quantize_rows_u8_ref(x.data(), rows, l.in, kp, a.data(), sa.data());
  std::vector<int32_t> ref(size_t(rows) * l.out), fast(ref.size());
  gemm_u8s8_ref(a.data(), rows, l.packed, ref.data());
  std::vector<GemmFn> kernels;
  if (cpu_has_avx2()) kernels.push_back(&gemm_u8s8_avx2);
  if (cpu_has_avx512vnni()) kernels.push_back(&gemm_u8s8_avx512vnni);
  for (GemmFn k : kernels) {
    k(a.data(), rows, l.packed, fast.data());
    EXPECT_EQ(fast, ref);
  }
  for (int i = 0; i < rows; ++i)
    for (int o = 0; o < l.out; ++o) {
      const float want = float(ref[size_t(i) * l.out + o]) * (sa[size_t(i)] * l.out_scale[size_t(o)]) +
                         l.bias[size_t(o)];
      ASSERT_EQ(got[size_t(i) * l.out + o], want) << i << "," << o;
    }
}

// The int8 engine's features equal the float encoder run on the dequantised weights and
// embedding rows, up to the activation rounding of the input projection only.
TEST_P(Int8Recurrent, FeaturesTrackFloatEncoderOnDequantisedWeights) {
  const nn::Network net = make_rnn(GetParam(), 3);
  auto q = Int8Model::quantize(net, {true, true});
  ASSERT_TRUE(q.ok());
  auto deq = q->dequantize();
  ASSERT_TRUE(deq.ok());
  const nn::Batch batch = random_batch(25, 8);
  const int fd = net.config().feature_dim();
  const nn::Segment seg{batch.ids.data(), batch.offsets.data(), int(batch.size())};
  std::vector<float> fq(batch.size() * size_t(fd)), ff(fq.size());
  Int8Workspace ws;
  recurrent_features_int8(*q->recurrent_part(), q->embed(), q->recurrent_input(), seg, ws,
                          fq.data(), fd);
  nn::RecurrentScratch s;
  nn::recurrent_features_forward(*deq, seg, s, ff.data(), fd);
  float worst = 0.0f, scale = 0.0f;
  for (size_t i = 0; i < fq.size(); ++i) {
    worst = std::max(worst, std::fabs(fq[i] - ff[i]));
    scale = std::max(scale, std::fabs(ff[i]));
  }
  EXPECT_GT(scale, 0.05f);
  EXPECT_LT(worst, 0.02f * scale) << GetParam();
}

// The int8 engine's cache (Int8Model::recurrent_projection) computes each token's input gates
// with the same int8 GEMM as the uncached path, which is exact per row. Batches (the fused
// batched step where the CPU has AVX2, nn/recurrent_batch_inference.h; else the same sgemm
// steps, bit-identical) and single texts (one matrix-vector product per step) match the
// uncached path within float rounding (1e-5 of max(1, |value|)). Files with float W_ih (no int8
// inputs) go through the cache too.
TEST_P(Int8Recurrent, CachedInputGatesEqualUncached) {
  const nn::Network net = make_rnn(GetParam(), 3);
  auto q = Int8Model::quantize(net, {true, true});
  ASSERT_TRUE(q.ok());
  ASSERT_NE(q->recurrent_projection(), nullptr);
  const nn::Batch batch = random_batch(30, 12);
  const int fd = net.config().feature_dim();
  auto run = [&](const nn::Batch& b, const std::vector<Int8Linear>& inputs,
                 const nn::RecurrentTokenProjection* cache) {
    const nn::Segment seg{b.ids.data(), b.offsets.data(), int(b.size())};
    std::vector<float> f(b.size() * size_t(fd));
    Int8Workspace ws;
    recurrent_features_int8(*q->recurrent_part(), q->embed(), inputs, seg, ws, f.data(), fd, cache);
    return f;
  };
  const std::vector<Int8Linear> float_inputs;  // the part's dequantised float W_ih
  for (const std::vector<Int8Linear>* inputs : {&q->recurrent_input(), &float_inputs}) {
    auto cache = nn::RecurrentTokenProjection::create(*q->recurrent_part(), 300, size_t(1) << 30);
    ASSERT_NE(cache, nullptr);
    const std::vector<float> uncached = run(batch, *inputs, nullptr);
    const std::vector<float> cached = run(batch, *inputs, cache.get());
    for (size_t i = 0; i < cached.size(); ++i)
      EXPECT_NEAR(cached[i], uncached[i], 1e-5f * std::max(1.0f, std::fabs(uncached[i])))
          << GetParam();
    for (size_t i = 0; i < batch.size(); ++i) {
      nn::Batch one;
      one.add(batch.ids.data() + batch.offsets[i], size_t(batch.offsets[i + 1] - batch.offsets[i]));
      const std::vector<float> su = run(one, *inputs, nullptr), sc = run(one, *inputs, cache.get());
      for (size_t j = 0; j < su.size(); ++j)
        ASSERT_NEAR(sc[j], su[j], 1e-5f * std::max(1.0f, std::fabs(su[j]))) << GetParam() << " " << i;
    }
  }
  // The model's own cache, through the engine's predict path: lazily filled, then warmed up.
  std::vector<float> cold(batch.size() * 3), warm(cold.size());
  Int8Workspace ws;
  predict_proba_int8(*q, batch, ws, cold.data());
  q->warm_up();
  EXPECT_EQ(q->recurrent_projection()->rows_filled(), 300u);
  predict_proba_int8(*q, batch, ws, warm.data());
  EXPECT_EQ(cold, warm);
}

// The int8 model's labels agree with the float model's on >= 95% of texts (probabilities within
// 0.02, as MatchesFloatClosely), with the int8 recurrence in the loop.
TEST_P(Int8Recurrent, LabelsAgreeWithFloat) {
  const nn::Network net = make_rnn(GetParam(), 4, {16});
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->recurrent_hidden().size(), 2u);
  ASSERT_EQ(q->rcnn_projection().size(), net.config().arch == nn::Arch::kRcnn ? 1u : 0u);
  const nn::Batch batch = random_batch(300, 21);
  std::vector<float> pf(batch.size() * 4), pq(pf.size());
  nn::Workspace wsf;
  nn::predict_proba(net, batch, wsf, pf.data());
  Int8Workspace wsq;
  predict_proba_int8(*q, batch, wsq, pq.data());
  int same = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto lf = std::max_element(pf.begin() + long(i) * 4, pf.begin() + long(i + 1) * 4);
    const auto lq = std::max_element(pq.begin() + long(i) * 4, pq.begin() + long(i + 1) * 4);
    same += (lf - pf.begin()) - long(i) * 4 == (lq - pq.begin()) - long(i) * 4;
  }
  EXPECT_GE(same, int(0.95 * double(batch.size()))) << GetParam();
}

// A text's probabilities are the same bits alone and in any batch (the int8 recurrence runs
// one text and many through the same exact integer steps), cached or not; and a quantise ->
// file tensors -> load round trip gives the same bits. (rcnn: its float projection after the
// recurrence is one sgemm over the batch's tokens, whose summation order depends on the row
// count; rcnn's int8 projection (exact int32 sums, per-row scales) keeps its bits too.)
TEST_P(Int8Recurrent, BatchEqualsSingleTextBitExact) {
  const nn::Network net = make_rnn(GetParam(), 3, {16});
  auto q = Int8Model::quantize(net, {true, true});
  ASSERT_TRUE(q.ok());
  ASSERT_NE(q->recurrent_projection(), nullptr);
  auto back = Int8Model::from_tensors(net.config(), q->to_tensors(), "m");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->recurrent_hidden().size(), 2u);
  const nn::Batch batch = random_batch(45, 31);
  std::vector<float> all(batch.size() * 3), reloaded(all.size());
  Int8Workspace ws;
  predict_proba_int8(*q, batch, ws, all.data());
  predict_proba_int8(*back, batch, ws, reloaded.data());
  EXPECT_EQ(all, reloaded);
  for (size_t i = 0; i < batch.size(); ++i) {
    nn::Batch one;
    one.add(batch.ids.data() + batch.offsets[i], size_t(batch.offsets[i + 1] - batch.offsets[i]));
    std::vector<float> p(3);
    predict_proba_int8(*q, one, ws, p.data());
    for (int c = 0; c < 3; ++c)
      ASSERT_EQ(p[size_t(c)], all[i * 3 + size_t(c)]) << GetParam() << " " << i;
  }
  // Uncached (the input projection's GEMM over the batch's rows) gives the same features.
  const int fd = net.config().feature_dim();
  const nn::Segment seg{batch.ids.data(), batch.offsets.data(), int(batch.size())};
  std::vector<float> cached(batch.size() * size_t(fd)), uncached(cached.size());
  recurrent_features_int8(*q->recurrent_part(), q->embed(), q->recurrent_input(), seg, ws,
                          cached.data(), fd, q->recurrent_projection(), &q->recurrent_hidden());
  recurrent_features_int8(*q->recurrent_part(), q->embed(), q->recurrent_input(), seg, ws,
                          uncached.data(), fd, nullptr, &q->recurrent_hidden());
  EXPECT_EQ(cached, uncached);
}

// An int8 model with int8 W_hh keeps no packed float copies of W_hh in its cache (it never runs
// the float recurrence), and its outputs equal those of a cache that does hold them, bit for bit.
// A file with float W_hh still packs them (its recurrence is the float one).
TEST_P(Int8Recurrent, Int8HiddenModelsKeepNoFloatWhhCopies) {
  const nn::Network net = make_rnn(GetParam(), 3);
  auto q = Int8Model::quantize(net, {true, true});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->recurrent_hidden().size(), 2u);
  ASSERT_NE(q->recurrent_projection(), nullptr);
  EXPECT_EQ(q->recurrent_projection()->float_w_hh_bytes(), 0u);
  auto back = Int8Model::from_tensors(net.config(), q->to_tensors(), "m");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->recurrent_projection()->float_w_hh_bytes(), 0u);
  const Int8Model copy = *q;
  EXPECT_EQ(copy.recurrent_projection()->float_w_hh_bytes(), 0u);
  auto packed = nn::RecurrentTokenProjection::create(*q->recurrent_part(), 300, size_t(1) << 30);
  ASSERT_NE(packed, nullptr);
  EXPECT_GT(packed->float_w_hh_bytes(), 0u);
  const nn::Batch batch = random_batch(25, 17);
  const int fd = net.config().feature_dim();
  auto run = [&](const nn::Batch& b, const nn::RecurrentTokenProjection* cache) {
    const nn::Segment seg{b.ids.data(), b.offsets.data(), int(b.size())};
    std::vector<float> f(b.size() * size_t(fd));
    Int8Workspace ws;
    recurrent_features_int8(*q->recurrent_part(), q->embed(), q->recurrent_input(), seg, ws,
                            f.data(), fd, cache, &q->recurrent_hidden());
    return f;
  };
  EXPECT_EQ(run(batch, q->recurrent_projection()), run(batch, packed.get()));
  nn::Batch one;
  one.add(batch.ids.data(), size_t(batch.offsets[1]));
  EXPECT_EQ(run(one, q->recurrent_projection()), run(one, packed.get()));
  // Float W_hh in the file: the float recurrence, with its packed copies.
  std::vector<format::Tensor> old;
  for (const auto& t : q->to_tensors()) {
    if (t.name.find("/w_hh_scale") != std::string::npos) continue;
    if (t.name.find("/w_hh") != std::string::npos) {
      const nn::Tensor* w = net.params().find(t.name);
      ASSERT_NE(w, nullptr);
      old.push_back(format::make_f32_tensor(t.name, w->shape, w->data));
      continue;
    }
    old.push_back(t);
  }
  auto float_hidden = Int8Model::from_tensors(net.config(), old, "old");
  ASSERT_TRUE(float_hidden.ok()) << float_hidden.status().message();
  ASSERT_TRUE(float_hidden->recurrent_hidden().empty());
  EXPECT_GT(float_hidden->recurrent_projection()->float_w_hh_bytes(), 0u);
}

// Files written before W_hh was quantised (w_hh f32, no w_hh_scale) load and run the float
// recurrence, within the int8 recurrence's rounding of the new files.
TEST_P(Int8Recurrent, FloatRecurrenceFilesStillLoad) {
  const nn::Network net = make_rnn(GetParam(), 3);
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  std::vector<format::Tensor> old;
  for (const auto& t : q->to_tensors()) {
    if (t.name.find("/w_hh_scale") != std::string::npos) continue;
    if (t.name.find("/w_hh") != std::string::npos) {
      const nn::Tensor* w = net.params().find(t.name);
      ASSERT_NE(w, nullptr);
      old.push_back(format::make_f32_tensor(t.name, w->shape, w->data));
      continue;
    }
    old.push_back(t);
  }
  auto back = Int8Model::from_tensors(net.config(), old, "old");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->recurrent_hidden().empty());
  EXPECT_EQ(back->recurrent_input().size(), 2u);
  const nn::Batch batch = random_batch(30, 4);
  std::vector<float> a(90), b(90);
  Int8Workspace ws;
  predict_proba_int8(*q, batch, ws, a.data());
  predict_proba_int8(*back, batch, ws, b.data());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 0.02f) << i;
  // Writing the loaded model keeps W_hh float.
  for (const auto& t : back->to_tensors())
    if (t.name.find("/w_hh") != std::string::npos) {
      EXPECT_EQ(t.dtype, format::DType::kF32) << t.name;
    }
}

// Corrupt int8 W_hh tensors are kDataLoss errors that name the tensor.
TEST_P(Int8Recurrent, CorruptHiddenTensorsGiveClearErrors) {
  const nn::Network net = make_rnn(GetParam(), 2);
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  const std::vector<format::Tensor> good = q->to_tensors();
  std::string scale_name, w_name;
  for (const auto& t : good)
    if (t.name.find("_bwd/w_hh_scale") != std::string::npos) {
      scale_name = t.name;
      w_name = t.name.substr(0, t.name.size() - 6);
    }
  ASSERT_FALSE(scale_name.empty());
  const int64_t rows = net.params()[net.recurrent().w_hh[1]].shape[0];
  auto with = [&](const std::string& name, const format::Tensor* replacement) {
    std::vector<format::Tensor> out;
    for (const auto& t : good) {
      if (t.name != name)
        out.push_back(t);
      else if (replacement != nullptr)
        out.push_back(*replacement);
    }
    return out;
  };
  auto expect_corrupt = [&](const std::vector<format::Tensor>& tensors, const std::string& names) {
    auto m = Int8Model::from_tensors(net.config(), tensors, "bad.fenlei");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(m.status().message().find(names), std::string::npos) << m.status().message();
  };
  const format::Tensor short_scale =
      format::make_f32_tensor(scale_name, {rows - 1}, std::vector<float>(size_t(rows - 1), 0.01f));
  expect_corrupt(with(scale_name, &short_scale), scale_name);
  std::vector<float> bad(size_t(rows), 0.01f);
  for (float v : {0.0f, -1.0f, std::nanf(""), INFINITY}) {
    bad[3] = v;
    const format::Tensor t = format::make_f32_tensor(scale_name, {rows}, bad);
    expect_corrupt(with(scale_name, &t), scale_name);
  }
  expect_corrupt(with(scale_name, nullptr), scale_name);
  const format::Tensor wrong_shape =
      format::make_i8_tensor(w_name, {rows, 3}, std::vector<int8_t>(size_t(rows) * 3, 1));
  expect_corrupt(with(w_name, &wrong_shape), w_name);
  // One direction int8, the other float.
  const nn::Tensor& wf = net.params()[net.recurrent().w_hh[1]];
  const format::Tensor float_w = format::make_f32_tensor(w_name, wf.shape, wf.data);
  std::vector<format::Tensor> mixed = with(scale_name, nullptr);
  for (auto& t : mixed)
    if (t.name == w_name) t = float_w;
  expect_corrupt(mixed, "w_hh");
}

class Int8RcnnProjection : public ::testing::Test {
 protected:
  // The file tensors of q with rcnn/weight replaced by `weight` (null: dropped) and
  // rcnn/weight_scale by `scale` (null: dropped).
  static std::vector<format::Tensor> replacing(const Int8Model& q, const format::Tensor* weight,
                                               const format::Tensor* scale) {
    std::vector<format::Tensor> out;
    for (const auto& t : q.to_tensors()) {
      const format::Tensor* r = t.name == "rcnn/weight"         ? weight
                                : t.name == "rcnn/weight_scale" ? scale
                                                                : &t;
      if (r != nullptr) out.push_back(*r);
    }
    return out;
  }
};

void dequantised_embedding_row(const void* context, int32_t id, float* out) {
  const Int8Embedding& e = *static_cast<const Int8Embedding*>(context);
  for (int d = 0; d < e.dim; ++d) out[d] = float(e.q[size_t(id) * size_t(e.dim) + size_t(d)]) * e.row_scale(id);
}

// The scalar reference of the int8 rcnn projection: each row quantised alone, plain int32 dot
// products with the +128 removed, then scale and bias as the engine writes them.
void reference_rcnn_projection(const void* context, const float* x, int rows, float* y) {
  const Int8Linear& l = *static_cast<const Int8Linear*>(context);
  const int kp = padded_k(l.in);
  std::vector<uint8_t> q(static_cast<size_t>(kp), uint8_t{0});
  for (int r = 0; r < rows; ++r) {
    float sa = 0.0f;
    quantize_rows_u8_ref(x + size_t(r) * size_t(l.in), 1, l.in, kp, q.data(), &sa);
    for (int o = 0; o < l.out; ++o) {
      int32_t sum = 0;
      for (int k = 0; k < l.in; ++k)
        sum += (int32_t(q[size_t(k)]) - kActivationZero) * int32_t(l.q[size_t(o) * size_t(l.in) + size_t(k)]);
      const float s = l.per_channel ? l.scale[size_t(o)] : l.scale[0];
      y[size_t(r) * size_t(l.out) + size_t(o)] = float(sum) * (sa * s) + l.bias[size_t(o)];
    }
  }
}

// The engine's int8 rcnn projection (packed weights, the CPU's best GEMM) equals the scalar
// reference, with everything else the same float encoder.
TEST_F(Int8RcnnProjection, KernelPathEqualsReference) {
  const nn::Network net = make_rnn("rcnn", 3);
  auto q = Int8Model::quantize(net, {true, true});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->rcnn_projection().size(), 1u);
  const Int8Linear& l = q->rcnn_projection()[0];
  EXPECT_TRUE(l.per_channel);
  EXPECT_EQ(l.out, net.config().rcnn_dim);
  const nn::Batch batch = random_batch(30, 7);
  const int fd = net.config().feature_dim();
  const nn::Segment seg{batch.ids.data(), batch.offsets.data(), int(batch.size())};
  std::vector<float> engine(batch.size() * size_t(fd)), reference(engine.size());
  const std::vector<Int8Linear> float_inputs;
  Int8Workspace ws;
  recurrent_features_int8(*q->recurrent_part(), q->embed(), float_inputs, seg, ws, engine.data(),
                          fd, nullptr, nullptr, &q->rcnn_projection());
  const nn::EmbeddingSource source{&q->embed(), &dequantised_embedding_row};
  const nn::RcnnProjection projection{&l, &reference_rcnn_projection};
  nn::RecurrentScratch s;
  nn::recurrent_features_forward(*q->recurrent_part(), seg, s, reference.data(), fd, &source,
                                 nullptr, nullptr, nullptr, &projection);
  for (size_t i = 0; i < engine.size(); ++i)
    ASSERT_NEAR(engine[i], reference[i], 1e-6f * std::max(1.0f, std::fabs(reference[i]))) << i;
  float scale = 0.0f;
  for (float v : engine) scale = std::max(scale, std::fabs(v));
  EXPECT_GT(scale, 0.05f);
}

// Files written before the projection was quantised (rcnn/weight f32, no scale) load and run it
// in float, within the int8 projection's rounding; writing them back keeps it f32.
TEST_F(Int8RcnnProjection, FloatProjectionFilesStillLoad) {
  const nn::Network net = make_rnn("rcnn", 3);
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  const nn::Tensor& w = net.params()[net.recurrent().proj_weight];
  const format::Tensor float_w = format::make_f32_tensor(w.name, w.shape, w.data);
  auto old = Int8Model::from_tensors(net.config(), replacing(*q, &float_w, nullptr), "old");
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_TRUE(old->rcnn_projection().empty());
  EXPECT_EQ(old->recurrent_hidden().size(), 2u);
  const nn::Batch batch = random_batch(30, 4);
  std::vector<float> a(90), b(90);
  Int8Workspace ws;
  predict_proba_int8(*q, batch, ws, a.data());
  predict_proba_int8(*old, batch, ws, b.data());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 0.02f) << i;
  bool saw = false;
  for (const auto& t : old->to_tensors()) {
    EXPECT_NE(t.name, "rcnn/weight_scale");
    if (t.name == "rcnn/weight") {
      EXPECT_EQ(t.dtype, format::DType::kF32);
      saw = true;
    }
  }
  EXPECT_TRUE(saw);
  // The new files: i8 + a per-channel scale.
  for (const auto& t : q->to_tensors()) {
    if (t.name == "rcnn/weight") {
      EXPECT_EQ(t.dtype, format::DType::kI8);
    }
    if (t.name == "rcnn/weight_scale") {
      EXPECT_EQ(t.shape, std::vector<int64_t>{int64_t(net.config().rcnn_dim)});
    }
  }
}

// Corrupt int8 projection tensors are kDataLoss errors that name the tensor.
TEST_F(Int8RcnnProjection, CorruptTensorsGiveClearErrors) {
  const nn::Network net = make_rnn("rcnn", 2);
  auto q = Int8Model::quantize(net, {true, false});
  ASSERT_TRUE(q.ok());
  const Int8Linear& l = q->rcnn_projection().at(0);
  const format::Tensor weight = format::make_i8_tensor("rcnn/weight", {l.out, l.in}, l.q);
  const format::Tensor scale = format::make_f32_tensor("rcnn/weight_scale", {l.out}, l.scale);
  auto expect_corrupt = [&](const std::vector<format::Tensor>& tensors, const std::string& names) {
    auto m = Int8Model::from_tensors(net.config(), tensors, "bad.fenlei");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(m.status().message().find(names), std::string::npos) << m.status().message();
    EXPECT_NE(m.status().message().find("bad.fenlei"), std::string::npos) << m.status().message();
  };
  ASSERT_TRUE(Int8Model::from_tensors(net.config(), replacing(*q, &weight, &scale), "ok").ok());
  const format::Tensor short_scale = format::make_f32_tensor(
      "rcnn/weight_scale", {l.out - 1}, std::vector<float>(size_t(l.out - 1), 0.01f));
  expect_corrupt(replacing(*q, &weight, &short_scale), "rcnn/weight_scale");
  std::vector<float> bad = l.scale;
  for (float v : {0.0f, -1.0f, std::nanf(""), INFINITY}) {
    bad[2] = v;
    const format::Tensor t = format::make_f32_tensor("rcnn/weight_scale", {l.out}, bad);
    expect_corrupt(replacing(*q, &weight, &t), "rcnn/weight_scale");
  }
  expect_corrupt(replacing(*q, &weight, nullptr), "rcnn/weight_scale");
  const format::Tensor wrong_shape =
      format::make_i8_tensor("rcnn/weight", {l.out, 3}, std::vector<int8_t>(size_t(l.out) * 3, 1));
  expect_corrupt(replacing(*q, &wrong_shape, &scale), "rcnn/weight");
  expect_corrupt(replacing(*q, nullptr, &scale), "rcnn/weight");
}

INSTANTIATE_TEST_SUITE_P(Presets, Int8Recurrent, ::testing::Values("bilstm", "gru", "rcnn"));

}  // namespace
}  // namespace fenlei::quant
