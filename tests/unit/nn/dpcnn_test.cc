// The dpcnn network (nn/dpcnn.h): finite-difference gradient checks of every tensor, ragged
// batches against one text at a time, thread splits, the pyramid's stage count, the config's
// JSON form, and learning a toy task.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "network_checks.h"
#include "nn/dpcnn.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "test_util.h"

namespace fenlei::nn {
namespace {

using testing::random_batch;

ModelConfig small_dpcnn(int classes, int vocab, int channels, int blocks) {
  ModelConfig c = *ModelConfig::preset("dpcnn");
  c.vocab_size = vocab;
  c.num_classes = classes;
  c.embed_dim = 4;
  c.filters = channels;
  c.blocks = blocks;
  return c;
}

void grad_check_dpcnn(const ModelConfig& c, bool train) {
  auto net_or = Network::create(c, 5);
  ASSERT_TRUE(net_or.ok()) << net_or.status().to_string();
  Network net = std::move(net_or).value();
  // Embeddings of unit scale (the init's +-0.05 makes every position of a text look alike, and
  // near-ties of max pooling within eps would break the central difference) and non-zero
  // biases (an empty text's region output is the bias alone; at 0 the ReLU kink would too).
  std::mt19937 bias_gen(17);
  for (Tensor& t : net.params()) {
    const bool bias = t.name.size() > 5 && t.name.compare(t.name.size() - 5, 5, "/bias") == 0;
    const float scale = t.name == "embed/weight" ? 20.0f : 1.0f;
    for (float& x : t.data) x = bias ? std::uniform_real_distribution<float>(-0.5f, 0.5f)(bias_gen)
                                     : x * scale;
  }
  // Texts of 0..11 tokens: with 2 blocks, those longer than 4 end with a max over positions;
  // the empty and 1-token texts run stage 0 only; some ids repeat (shared embedding rows). A
  // text that repeats a token can make two pooling windows pick the same value (an exact tie,
  // where the central difference averages two one-sided slopes), so most ids are distinct.
  // A deep ReLU network has many kinks: a perturbation of a tensor every position reads (the
  // region conv) can cross one within eps, which shows as a few-percent miss on that tensor
  // alone and moves with the data; this batch (seed 5) has none within eps. Checked apart from
  // this test: every text alone matches the central difference to 2e-5 at eps 1e-3.
  std::mt19937 gen(5);
  Batch b = random_batch(7, int(c.vocab_size), c.num_classes, 11, gen);
  b.add(std::vector<int32_t>{}, 1);
  b.add(std::vector<int32_t>{4}, 0);
  b.add(std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 2, 3, 4, 5}, 1);
  testing::check_network_grads(net, b, train, 1e-3);
}

TEST(DpcnnGrad, SigmoidTwoBlocks) { grad_check_dpcnn(small_dpcnn(2, 40, 3, 2), false); }

TEST(DpcnnGrad, SoftmaxHiddenDropoutThreeBlocks) {
  ModelConfig c = small_dpcnn(3, 40, 4, 3);
  c.hidden = {5};
  c.dropout = 0.3f;
  grad_check_dpcnn(c, true);
}

TEST(DpcnnGrad, NoBlocksIsRegionPlusOneStage) { grad_check_dpcnn(small_dpcnn(2, 40, 3, 0), false); }

TEST(Dpcnn, StagesHalveTheLengthUntilOnePosition) {
  EXPECT_EQ(dpcnn_stages(0, 7), 1);
  EXPECT_EQ(dpcnn_stages(1, 7), 1);
  EXPECT_EQ(dpcnn_stages(2, 7), 2);
  EXPECT_EQ(dpcnn_stages(5, 7), 4);  // 5 -> 3 -> 2 -> 1
  EXPECT_EQ(dpcnn_stages(128, 7), 8);
  EXPECT_EQ(dpcnn_stages(129, 7), 8);  // capped: ends with a max over 2 positions
  EXPECT_EQ(dpcnn_length(5, 1), 3);
  EXPECT_EQ(dpcnn_length(129, 7), 2);
  EXPECT_EQ(dpcnn_length(0, 0), 1);
}

TEST(Dpcnn, ParameterNamesAndShapes) {
  ModelConfig c = small_dpcnn(3, 20, 6, 1);
  Network net = *Network::create(c, 1);
  std::vector<std::string> names;
  for (const Tensor& t : net.params()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "embed/weight", "region/weight", "region/bias", "dpcnn0/conv1/weight",
                       "dpcnn0/conv1/bias", "dpcnn0/conv2/weight", "dpcnn0/conv2/bias",
                       "dpcnn1/conv1/weight", "dpcnn1/conv1/bias", "dpcnn1/conv2/weight",
                       "dpcnn1/conv2/bias", "out/weight", "out/bias"}));
  EXPECT_EQ(net.params().find("region/weight")->shape, (std::vector<int64_t>{6, 12}));
  EXPECT_EQ(net.params().find("dpcnn1/conv2/weight")->shape, (std::vector<int64_t>{6, 18}));
  EXPECT_EQ(net.params().find("out/weight")->shape, (std::vector<int64_t>{3, 6}));
}

TEST(Dpcnn, ConfigJsonRoundTripAndOlderFilesUnchanged) {
  ModelConfig c = small_dpcnn(3, 20, 6, 4);
  const nlohmann::json j = c.to_json();
  EXPECT_EQ(j["arch"], "dpcnn");
  EXPECT_EQ(j["blocks"], 4);
  auto back = ModelConfig::from_json(j);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, c);
  // A cnn's JSON gains no key, so files written now still load in older builds.
  ModelConfig cnn = *ModelConfig::preset("textcnn");
  EXPECT_FALSE(cnn.to_json().contains("blocks"));
  nlohmann::json bad = cnn.to_json();
  bad["blocks"] = 2;
  EXPECT_FALSE(ModelConfig::from_json(bad).ok());
  nlohmann::json widths = j;
  widths["widths"] = {3};
  EXPECT_FALSE(ModelConfig::from_json(widths).ok());
  auto deeper = ModelConfig::with_overrides(c, {{"blocks", 5}, {"filters", 32}});
  ASSERT_TRUE(deeper.ok());
  EXPECT_EQ(deeper->blocks, 5);
  EXPECT_FALSE(ModelConfig::with_overrides(c, {{"blocks", 17}}).ok());
}

TEST(Dpcnn, PresetIsThePaperNetwork) {
  ModelConfig c = *ModelConfig::preset("dpcnn");
  EXPECT_EQ(c.arch, Arch::kDpcnn);
  EXPECT_EQ(c.filters, 250);
  EXPECT_EQ(c.blocks, 7);
  EXPECT_TRUE(c.widths.empty());
  EXPECT_EQ(c.feature_dim(), 250);
}

TEST(Dpcnn, RaggedBatchEqualsPerExample) {
  ModelConfig c = small_dpcnn(3, 50, 16, 3);
  Network net = *Network::create(c, 2);
  std::mt19937 gen(4);
  Batch b = random_batch(11, 50, 3, 30, gen);
  b.add(std::vector<int32_t>{}, 0);
  Workspace ws;
  std::vector<float> all(b.size() * 3);
  predict_proba(net, b, ws, all.data());
  for (size_t i = 0; i < b.size(); ++i) {
    Batch one;
    one.add(b.ids.data() + b.offsets[i], b.length(i), b.labels[i]);
    float p[3];
    Workspace fresh;
    predict_proba(net, one, fresh, p);
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-5);
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(all[i * 3 + k], p[k], 1e-5) << "example " << i;
  }
}

// Inference in chunks of texts (dpcnn_infer) gives the features of one forward over the whole
// batch whatever the chunk size: one row per chunk (every text alone), chunks that split the
// batch unevenly, one chunk holding everything. On OpenBLAS' sgemm (this plain path) a row's
// sum can round differently with the row count (its edge kernels), hence float rounding here;
// the engines' packed float and int8 convs are bit-exact (core/dpcnn_packed_convs_test.cc,
// quant tests).
TEST(Dpcnn, ChunkedInferenceEqualsWholeBatch) {
  ModelConfig c = small_dpcnn(3, 60, 16, 3);
  Network net = *Network::create(c, 9);
  std::mt19937 gen(12);
  Batch b = random_batch(23, 60, 1, 40, gen);
  b.add(std::vector<int32_t>{}, 0);
  const Segment seg{b.ids.data(), b.offsets.data(), int(b.size())};
  const int fd = c.feature_dim();
  std::vector<float> whole(b.size() * fd);
  DpcnnScratch s;
  dpcnn_forward(c, net.params(), net.dpcnn(), net.embed_index(), seg, s, whole.data(), fd);
  float scale = 0.0f;
  for (float v : whole) scale = std::max(scale, std::fabs(v));
  EXPECT_GT(scale, 0.01f);  // the features are not trivially zero
  for (const int max_rows : {1, 17, 64, 100000}) {
    std::vector<float> chunked(b.size() * fd, -1.0f);
    DpcnnScratch cs;
    dpcnn_infer(c, net.params(), net.dpcnn(), net.embed_index(), seg, cs, chunked.data(), fd,
                max_rows);
    for (size_t i = 0; i < whole.size(); ++i)
      ASSERT_NEAR(chunked[i], whole[i], 1e-5f * std::max(1.0f, std::fabs(whole[i])))
          << "max_rows " << max_rows << " value " << i;
  }
}

// The scratch grows without zero-filling (nn/dpcnn_scratch.h) and the backward's col2im folds
// in the ReLU mask and the shortcut: a workspace reused across batches that grow and shrink
// (stale rows of a longer batch left in every buffer) must give bit-identical gradients to a
// fresh workspace per batch.
TEST(Dpcnn, ReusedWorkspaceEqualsFreshOne) {
  ModelConfig c = small_dpcnn(3, 50, 8, 3);
  Network net = *Network::create(c, 6);
  std::mt19937 gen(8);
  Workspace reused;
  for (const int max_len : {6, 30, 3, 40, 12}) {
    Batch b = random_batch(9, 50, 3, max_len, gen);
    Grads g_reused = net.make_grads(), g_fresh = net.make_grads();
    Rng rng_a(1), rng_b(1);
    Workspace fresh;
    forward_backward(net, b, 0, b.size(), reused, g_reused, rng_a, true);
    forward_backward(net, b, 0, b.size(), fresh, g_fresh, rng_b, true);
    for (int t = 0; t < g_fresh.size(); ++t) {
      if (g_fresh.is_sparse(t)) {
        ASSERT_EQ(g_reused.touched_rows(t), g_fresh.touched_rows(t));
        for (int32_t r : g_fresh.touched_rows(t))
          ASSERT_EQ(0, std::memcmp(g_reused.row(t, r), g_fresh.row(t, r),
                                   sizeof(float) * size_t(c.embed_dim)))
              << "embedding row " << r << ", max_len " << max_len;
      } else {
        ASSERT_EQ(g_reused[t].data, g_fresh[t].data) << g_fresh[t].name << ", max_len " << max_len;
      }
    }
  }
}

TEST(Dpcnn, TwoThreadSplitEqualsOneThread) {
  ModelConfig c = small_dpcnn(2, 60, 8, 3);
  c.hidden = {8};
  c.dropout = 0.2f;
  Network net = *Network::create(c, 3);
  std::mt19937 gen(5);
  Batch b = random_batch(13, 60, 2, 40, gen);
  testing::expect_split_equals_whole(net, b, 6, 1e-5);
}

TEST(Dpcnn, DeterministicRunToRun) {
  ModelConfig c = small_dpcnn(3, 40, 8, 2);
  testing::expect_identical_params(testing::train_three_steps(c), testing::train_three_steps(c));
}

TEST(Dpcnn, LearnsToySeparableProblem) {
  // Class = which half of the vocabulary the text's words come from (mixed with noise words).
  ModelConfig c = small_dpcnn(2, 30, 16, 3);
  c.embed_dim = 8;
  Network net = *Network::create(c, 11);
  Optimizer opt = *Optimizer::create(OptimizerConfig{}, net.params());
  std::mt19937 gen(7);
  auto make = [&](int n) {
    Batch b;
    std::uniform_int_distribution<int> len_d(1, 12), cls(0, 1), word(0, 9), noise(22, 29),
        coin(0, 2);
    for (int i = 0; i < n; ++i) {
      const int y = cls(gen);
      std::vector<int32_t> t(len_d(gen));
      for (auto& x : t) x = coin(gen) == 0 ? noise(gen) : 2 + y * 10 + word(gen);
      t[len_d(gen) % t.size()] = 2 + y * 10 + word(gen);
      b.add(t, y);
    }
    return b;
  };
  Workspace ws;
  Grads g = net.make_grads();
  Rng rng(3);
  for (int step = 0; step < 200; ++step) {
    Batch b = make(32);
    g.zero();
    rng.set_step(step);
    forward_backward(net, b, 0, b.size(), ws, g, rng, true);
    opt.step(net.params(), g, 3e-3f);
  }
  Batch test = make(400);
  std::vector<float> p(test.size() * 2);
  predict_proba(net, test, ws, p.data());
  int correct = 0;
  for (size_t i = 0; i < test.size(); ++i)
    correct += (p[i * 2 + 1] > p[i * 2]) == (test.labels[i] == 1);
  EXPECT_GE(correct, 390);
}

}  // namespace
}  // namespace fenlei::nn
