// A dpcnn model (issue #15) through the model file: it loads into a Classifier that predicts
// what the network computes, explains, and quantises into an int8 model that loads and agrees.
#include <gtest/gtest.h>

#include <cmath>

#include "core/model_bundle.h"
#include "core/network_engine.h"
#include "fenlei/classifier.h"
#include "nn/network.h"

namespace fenlei {
namespace {

core::ModelBundle tiny_dpcnn_bundle() {
  std::vector<std::string> tokens = {"<pad>", "<unk>", "好", "差", "房", "间", "很", "太", "吵"};
  core::PreprocessConfig preprocess;
  preprocess.tokenizer = core::TokenizerKind::kChar;
  preprocess.max_len = 16;
  auto config = *nn::ModelConfig::preset("dpcnn");
  config.embed_dim = 8;
  config.filters = 16;
  config.blocks = 3;
  config.vocab_size = static_cast<int64_t>(tokens.size());
  config.num_classes = 3;
  return *core::make_network_model(*nn::Network::create(config, 11), preprocess,
                                   *vocab::Vocabulary::from_tokens(tokens),
                                   {"a", "b", "c"});
}

TEST(DpcnnModel, FileRoundTripPredictsWhatTheNetworkComputes) {
  const core::ModelBundle bundle = tiny_dpcnn_bundle();
  const std::string bytes = *core::serialize_bundle(bundle);
  auto model = Classifier::load_from_memory(bytes, "dpcnn");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->info().labels, bundle.labels);
  auto probs = (*model)->probabilities({"房间很好", "太吵", ""});
  ASSERT_TRUE(probs.ok()) << probs.status().message();
  nn::Batch batch;
  batch.add(std::vector<int32_t>{4, 5, 6, 2});
  batch.add(std::vector<int32_t>{7, 8});
  batch.add(std::vector<int32_t>{});
  nn::Workspace ws;
  std::vector<float> direct(9);
  nn::predict_proba(*bundle.engine->trainable_network(), batch, ws, direct.data());
  // The loaded engine runs the convs on packed weights (core/dpcnn_packed_convs.h): equal up
  // to float summation order.
  for (size_t t = 0; t < 3; ++t)
    for (size_t k = 0; k < 3; ++k) EXPECT_NEAR((*probs)[t][k], direct[t * 3 + k], 1e-6);

  auto why = (*model)->explain("房间很好");
  ASSERT_TRUE(why.ok()) << why.status().message();
  EXPECT_EQ(why->tokens.size(), 4u);
}

TEST(DpcnnModel, QuantisedModelLoadsAndAgrees) {
  const core::ModelBundle bundle = tiny_dpcnn_bundle();
  auto int8 = core::quantize_bundle(bundle, {});
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  EXPECT_TRUE(int8->engine->quantized());
  auto model = Classifier::load_from_memory(*core::serialize_bundle(*int8), "dpcnn-int8");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_TRUE((*model)->info().quantized);
  auto float_model = *Classifier::load_from_memory(*core::serialize_bundle(bundle), "dpcnn");
  const std::vector<std::string> texts = {"房间很好", "太吵太差", "好"};
  auto q = (*model)->probabilities(texts);
  auto f = float_model->probabilities(texts);
  ASSERT_TRUE(q.ok() && f.ok());
  for (size_t t = 0; t < texts.size(); ++t)
    for (size_t k = 0; k < 3; ++k) EXPECT_NEAR((*q)[t][k], (*f)[t][k], 0.02f);
}

}  // namespace
}  // namespace fenlei
