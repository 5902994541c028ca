// ModelConfig presets, validation and JSON round trip.
#include <gtest/gtest.h>

#include "nn/config.h"

namespace fenlei::nn {
namespace {

TEST(ModelConfig, Presets) {
  auto seed = ModelConfig::preset("seed-cnn");
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(seed->embed_dim, 16);
  EXPECT_EQ(seed->widths, std::vector<int>{5});
  EXPECT_EQ(seed->filters, 128);
  auto kim = ModelConfig::preset("textcnn");
  ASSERT_TRUE(kim.ok());
  EXPECT_EQ(kim->widths, (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(kim->feature_dim(), 300);
  EXPECT_FLOAT_EQ(kim->dropout, 0.5f);
  auto ft = ModelConfig::preset("fasttext");
  ASSERT_TRUE(ft.ok());
  EXPECT_EQ(ft->arch, Arch::kFastText);
  auto bad = ModelConfig::preset("bert");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("seed-cnn"), std::string::npos);
}

TEST(ModelConfig, OutputAuto) {
  ModelConfig c = *ModelConfig::preset("seed-cnn");
  c.num_classes = 2;
  EXPECT_TRUE(c.sigmoid_output());
  EXPECT_EQ(c.output_units(), 1);
  c.num_classes = 5;
  EXPECT_FALSE(c.sigmoid_output());
  EXPECT_EQ(c.output_units(), 5);
  c.num_classes = 2;
  c.output = Output::kSoftmax;
  EXPECT_EQ(c.output_units(), 2);
}

TEST(ModelConfig, ValidationNamesTheField) {
  ModelConfig c = *ModelConfig::preset("seed-cnn");
  c.vocab_size = 100;
  c.num_classes = 2;
  EXPECT_TRUE(c.validate().ok());
  auto expect_bad = [](ModelConfig m, const std::string& word) {
    Status s = m.validate();
    ASSERT_FALSE(s.ok()) << word;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(word), std::string::npos) << s.message();
  };
  ModelConfig m = c;
  m.widths = {};
  expect_bad(m, "widths");
  m = c;
  m.widths = {3, 3};
  expect_bad(m, "repeated");
  m = c;
  m.dropout = 1.0f;
  expect_bad(m, "dropout");
  m = c;
  m.num_classes = 1;
  expect_bad(m, "num_classes");
  m = c;
  m.vocab_size = 0;
  expect_bad(m, "vocab_size");
  m = c;
  m.num_classes = 3;
  m.output = Output::kSigmoid;
  expect_bad(m, "sigmoid");
  m = c;
  m.hidden = {0};
  expect_bad(m, "hidden");
  m = c;
  m.embed_dim = 0;
  expect_bad(m, "embed_dim");
}

TEST(ModelConfig, JsonRoundTrip) {
  ModelConfig c = *ModelConfig::preset("textcnn");
  c.hidden = {64, 32};
  c.activation = Activation::kGelu;
  c.output = Output::kSoftmax;
  c.vocab_size = 5000;
  c.num_classes = 7;
  const nlohmann::json j = c.to_json();
  auto back = ModelConfig::from_json(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, c);
  EXPECT_EQ(back->to_json(), j);

  ModelConfig f = *ModelConfig::preset("fasttext");
  f.bigram_buckets = 1000;
  auto fb = ModelConfig::from_json(f.to_json());
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(*fb, f);
}

TEST(ModelConfig, JsonErrors) {
  EXPECT_FALSE(ModelConfig::from_json(nlohmann::json::array()).ok());
  auto typo = ModelConfig::from_json({{"embed_dimm", 3}});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("embed_dimm"), std::string::npos);
  EXPECT_FALSE(ModelConfig::from_json({{"embed_dim", "big"}}).ok());
  EXPECT_FALSE(ModelConfig::from_json({{"activation", "swish"}}).ok());
  EXPECT_FALSE(ModelConfig::from_json({{"widths", {0}}}).ok());
  // Overrides on top of the defaults.
  auto partial = ModelConfig::from_json({{"filters", 64}});
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->filters, 64);
  EXPECT_EQ(partial->embed_dim, 16);
}

TEST(ModelConfig, Overrides) {
  ModelConfig base = *ModelConfig::preset("textcnn");
  auto c = ModelConfig::with_overrides(base, {{"embed_dim", 64}, {"hidden", {128}},
                                              {"activation", "gelu"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->embed_dim, 64);
  EXPECT_EQ(c->hidden, std::vector<int>{128});
  EXPECT_EQ(c->activation, Activation::kGelu);
  EXPECT_EQ(c->widths, base.widths);
  EXPECT_FALSE(ModelConfig::with_overrides(base, {{"filtres", 3}}).ok());
  EXPECT_FALSE(ModelConfig::with_overrides(base, {{"dropout", 2.0}}).ok());
}

}  // namespace
}  // namespace fenlei::nn
