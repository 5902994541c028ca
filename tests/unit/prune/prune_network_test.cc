// Structured pruning: which filters/units are kept, the shapes of the pruned tensors, and that a
// network whose removed units contribute nothing computes exactly what the original did.
#include <gtest/gtest.h>

#include <vector>

#include "nn/network.h"
#include "train/prune_network.h"

namespace fenlei::train {
namespace {

nn::ModelConfig small_cnn(std::vector<int> hidden = {3}) {
  nn::ModelConfig c = nn::ModelConfig::preset("textcnn").value();
  c.embed_dim = 4;
  c.widths = {2, 3};
  c.filters = 4;
  c.hidden = std::move(hidden);
  c.dropout = 0.0f;
  c.vocab_size = 12;
  c.num_classes = 3;
  return c;
}

void zero_unit(nn::Network& net, int weight, int bias, int unit) {
  nn::Tensor& w = net.params()[weight];
  for (int64_t j = 0; j < w.cols(); ++j) w.data[size_t(unit * w.cols() + j)] = 0.0f;
  net.params()[bias].data[size_t(unit)] = 0.0f;
}

nn::Batch test_batch() {
  nn::Batch b;
  b.add({2, 3, 4, 5, 6});
  b.add({7, 1});
  b.add({});
  b.add({11, 10, 9, 8, 2, 3, 4});
  return b;
}

std::vector<float> probs(const nn::Network& net, const nn::Batch& b) {
  nn::Workspace ws;
  std::vector<float> p(b.size() * size_t(net.num_classes()));
  nn::predict_proba(net, b, ws, p.data());
  return p;
}

// Makes biases non-zero so that the "zero-contribution" units are the only zero ones.
void randomise_biases(nn::Network& net) {
  float v = 0.01f;
  for (nn::Tensor& t : net.params())
    if (t.name.size() > 5 && t.name.substr(t.name.size() - 5) == "/bias")
      for (float& x : t.data) x = (v += 0.013f);
}

TEST(PruneNetwork, KeptCountRoundsAndKeepsAtLeastOne) {
  EXPECT_EQ(kept_count(128, 0.5), 64);
  EXPECT_EQ(kept_count(100, 0.5), 50);
  EXPECT_EQ(kept_count(10, 0.25), 8);  // 7.5 rounds up
  EXPECT_EQ(kept_count(3, 0.99), 1);
  EXPECT_EQ(kept_count(1, 0.5), 1);
}

TEST(PruneNetwork, StrongestUnitsRankByNormIncludingBiasAndBreakTiesByIndex) {
  nn::Tensor w{"x/weight", {5, 2}, {3, 4,     // norm^2 25
                                    0, 1,     // 1 (+ bias 9 = 10)
                                    1, 1,     // 2
                                    0, 0,     // 0
                                    1, 1}};   // 2 (tie with unit 2)
  nn::Tensor b{"x/bias", {5}, {0, 3, 0, 0, 0}};
  EXPECT_EQ(strongest_units(w, b, 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(strongest_units(w, b, 3), (std::vector<int>{0, 1, 2}));  // 2 beats its tie 4
  EXPECT_EQ(strongest_units(w, b, 4), (std::vector<int>{0, 1, 2, 4}));
}

TEST(PruneNetwork, RemovesTheZeroFiltersAndUnitsAndShrinksTheNextLayer) {
  nn::Network net = nn::Network::create(small_cnn(), 3).value();
  randomise_biases(net);
  const auto& conv = net.conv_layers();
  zero_unit(net, conv[0].weight, conv[0].bias, 1);
  zero_unit(net, conv[0].weight, conv[0].bias, 3);
  zero_unit(net, conv[1].weight, conv[1].bias, 0);
  zero_unit(net, conv[1].weight, conv[1].bias, 2);
  const auto& fc1 = net.dense_layers()[0];
  zero_unit(net, fc1.weight, fc1.bias, 1);

  const PruneSelection sel = select_by_magnitude(net, 0.5).value();
  ASSERT_EQ(sel.conv.size(), 2u);
  EXPECT_EQ(sel.conv[0], (std::vector<int>{0, 2}));
  EXPECT_EQ(sel.conv[1], (std::vector<int>{1, 3}));
  ASSERT_EQ(sel.hidden.size(), 1u);
  EXPECT_EQ(sel.hidden[0], (std::vector<int>{0, 2}));  // kept_count(3, 0.5) = 2

  const nn::Network pruned = apply_pruning(net, sel).value();
  const nn::ModelConfig& pc = pruned.config();
  EXPECT_EQ(pc.filters, 2);
  EXPECT_EQ(pc.hidden, (std::vector<int>{2}));
  EXPECT_EQ(pc.widths, net.config().widths);
  const nn::Params& p = pruned.params();
  EXPECT_EQ(p.find("embed/weight")->shape, (std::vector<int64_t>{12, 4}));
  EXPECT_EQ(p.find("conv2/weight")->shape, (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(p.find("conv3/weight")->shape, (std::vector<int64_t>{2, 12}));
  EXPECT_EQ(p.find("conv3/bias")->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(p.find("fc1/weight")->shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(p.find("out/weight")->shape, (std::vector<int64_t>{3, 2}));
  EXPECT_LT(p.total_elements(), net.params().total_elements());

  // Kept rows and columns are copied, in order: conv3 filter 3 is pruned row 1; fc1's column
  // for conv3 filter 1 (feature 4 + 1) is pruned column 2 (after conv2's 2 kept features).
  const nn::Tensor& w3 = *net.params().find("conv3/weight");
  EXPECT_EQ(p.find("conv3/weight")->data[12 + 5], w3.data[3 * 12 + 5]);
  const nn::Tensor& f = *net.params().find("fc1/weight");
  EXPECT_EQ(p.find("fc1/weight")->data[1 * 4 + 2], f.data[2 * 8 + 5]);

  const nn::Batch b = test_batch();
  const std::vector<float> before = probs(net, b), after = probs(pruned, b);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(before[i], after[i], 1e-6f) << i;
}

TEST(PruneNetwork, PruningLiveFiltersChangesTheOutput) {
  // The equality above is not vacuous: removing filters that do contribute changes the result.
  nn::Network net = nn::Network::create(small_cnn({}), 5).value();
  randomise_biases(net);
  const nn::Network pruned = apply_pruning(net, select_by_magnitude(net, 0.5).value()).value();
  const nn::Batch b = test_batch();
  const std::vector<float> before = probs(net, b), after = probs(pruned, b);
  double diff = 0;
  for (size_t i = 0; i < before.size(); ++i) diff += std::abs(before[i] - after[i]);
  EXPECT_GT(diff, 1e-4);
}

TEST(PruneNetwork, FastTextPrunesHiddenUnitsOnly) {
  nn::ModelConfig c = nn::ModelConfig::preset("fasttext").value();
  c.embed_dim = 6;
  c.hidden = {4, 3};
  c.vocab_size = 12;
  c.num_classes = 2;
  c.bigram_buckets = 16;
  nn::Network net = nn::Network::create(c, 9).value();
  randomise_biases(net);
  zero_unit(net, net.dense_layers()[0].weight, net.dense_layers()[0].bias, 2);
  zero_unit(net, net.dense_layers()[0].weight, net.dense_layers()[0].bias, 0);
  zero_unit(net, net.dense_layers()[1].weight, net.dense_layers()[1].bias, 1);
  const PruneSelection sel = select_by_magnitude(net, 0.5).value();
  EXPECT_TRUE(sel.conv.empty());
  EXPECT_EQ(sel.hidden[0], (std::vector<int>{1, 3}));
  EXPECT_EQ(sel.hidden[1].size(), 2u);  // round(1.5) = 2 of 3: the zero unit 1 goes
  EXPECT_EQ(sel.hidden[1], (std::vector<int>{0, 2}));
  const nn::Network pruned = apply_pruning(net, sel).value();
  EXPECT_EQ(pruned.config().hidden, (std::vector<int>{2, 2}));
  EXPECT_EQ(pruned.params().find("fc1/weight")->shape, (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(pruned.params().find("fc2/weight")->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(pruned.params().find("out/weight")->shape, (std::vector<int64_t>{2, 2}));  // softmax
  EXPECT_EQ(pruned.params().find("bigram/weight")->shape, (std::vector<int64_t>{16, 6}));
  const nn::Batch b = test_batch();
  const std::vector<float> before = probs(net, b), after = probs(pruned, b);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(before[i], after[i], 1e-6f) << i;
}

TEST(PruneNetwork, NothingToPruneAndBadSparsityAreErrors) {
  nn::ModelConfig c = nn::ModelConfig::preset("fasttext").value();
  c.vocab_size = 12;
  c.num_classes = 2;
  const nn::Network ft = nn::Network::create(c, 1).value();
  auto none = select_by_magnitude(ft, 0.5);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("nothing to prune"), std::string::npos);

  const nn::Network cnn = nn::Network::create(small_cnn(), 1).value();
  for (double s : {0.0, 1.0, -0.5, 1.5}) {
    auto r = select_by_magnitude(cnn, s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(PruneNetwork, SelectionsThatDoNotFitAreRejected) {
  const nn::Network net = nn::Network::create(small_cnn(), 1).value();
  PruneSelection good{{{0, 1}, {2, 3}}, {{0, 2}}};
  ASSERT_TRUE(apply_pruning(net, good).ok());
  PruneSelection uneven{{{0, 1}, {2}}, {{0, 2}}};
  EXPECT_FALSE(apply_pruning(net, uneven).ok());
  PruneSelection unsorted{{{1, 0}, {2, 3}}, {{0, 2}}};
  EXPECT_FALSE(apply_pruning(net, unsorted).ok());
  PruneSelection out_of_range{{{0, 4}, {2, 3}}, {{0, 2}}};
  EXPECT_FALSE(apply_pruning(net, out_of_range).ok());
  PruneSelection empty_hidden{{{0, 1}, {2, 3}}, {{}}};
  EXPECT_FALSE(apply_pruning(net, empty_hidden).ok());
  PruneSelection wrong_layers{{{0, 1}}, {{0, 2}}};
  EXPECT_FALSE(apply_pruning(net, wrong_layers).ok());
}

}  // namespace
}  // namespace fenlei::train
