// Tests of the per-preset training defaults table and of how it fills TrainOptions.
#include "train/preset_defaults.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "nn/config.h"

namespace fenlei::train {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(PresetDefaultsTest, EveryModelPresetHasDefaults) {
  for (const char* name : {"seed-cnn", "textcnn", "fasttext", "bilstm", "gru", "rcnn", "dpcnn"}) {
    auto d = preset_defaults(name);
    ASSERT_TRUE(d.ok()) << name;
    EXPECT_EQ(d->preset, name);
    ASSERT_TRUE(nn::ModelConfig::preset(name).ok()) << name;
    // The defaults must themselves be valid options.
    TrainOptions o;
    o.input = "in.tsv";
    o.output = "out.fenlei";
    o.model = *nn::ModelConfig::preset(name);
    apply_preset_defaults(*d, [](const std::string&) { return false; }, &o);
    EXPECT_TRUE(o.validate().ok()) << name << ": " << o.validate().message();
  }
  EXPECT_EQ(all_preset_defaults().size(), 7u);
}

TEST(PresetDefaultsTest, UnknownPresetIsAnError) {
  auto d = preset_defaults("bert");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("bert"), std::string::npos);
}

TEST(PresetDefaultsTest, SeedCnnKeepsTheSeedRecipe) {
  // The seed system's training: jieba words, a 10,000-entry vocabulary, Adam 1e-3, batch 32,
  // 10 epochs. These are part of the product's specification, not tuning knobs.
  auto d = *preset_defaults("seed-cnn");
  EXPECT_EQ(d.tokenizer, core::TokenizerKind::kWord);
  EXPECT_EQ(d.vocab_size, 10000u);
  EXPECT_EQ(d.optimizer, nn::OptimizerKind::kAdam);
  EXPECT_EQ(d.lr_schedule, LrScheduleKind::kConstant);
  EXPECT_EQ(d.monitor, Monitor::kValidLoss);
  EXPECT_FLOAT_EQ(d.lr, 1e-3f);
  EXPECT_EQ(d.batch_size, 32);
  EXPECT_EQ(d.epochs, 10);
  EXPECT_FALSE(d.lazy_embeddings);
}

TEST(PresetDefaultsTest, FastTextUsesCharactersAndSparseUpdates) {
  auto d = *preset_defaults("fasttext");
  EXPECT_EQ(d.tokenizer, core::TokenizerKind::kChar);
  EXPECT_EQ(d.vocab_size, 0u);  // a linear model keeps every character
  EXPECT_TRUE(d.lazy_embeddings);
  EXPECT_GT(d.bigram_buckets, 0);  // fastText -wordNgrams 2
  // Bigram buckets reach only the fasttext architecture; a cnn keeps none.
  TrainOptions cnn;
  cnn.model = *nn::ModelConfig::preset("seed-cnn");
  apply_preset_defaults(d, [](const std::string&) { return false; }, &cnn);
  EXPECT_EQ(cnn.model.bigram_buckets, 0);
  EXPECT_TRUE(cnn.model.validate_architecture().ok());
}

TEST(PresetDefaultsTest, AppliesEveryUnsetFlag) {
  auto d = *preset_defaults("fasttext");
  TrainOptions o;  // the struct's own (seed) defaults
  o.model = *nn::ModelConfig::preset("fasttext");
  auto applied = apply_preset_defaults(d, [](const std::string&) { return false; }, &o);
  EXPECT_EQ(applied.size(), preset_default_flags().size());
  for (const auto& f : preset_default_flags()) EXPECT_TRUE(contains(applied, f)) << f;
  EXPECT_EQ(o.preprocess.tokenizer, d.tokenizer);
  EXPECT_EQ(o.vocab_size, d.vocab_size);
  EXPECT_EQ(o.preprocess.max_len, d.max_len);
  EXPECT_EQ(o.epochs, d.epochs);
  EXPECT_EQ(o.batch_size, d.batch_size);
  EXPECT_EQ(o.optimizer.kind, d.optimizer);
  EXPECT_FLOAT_EQ(o.optimizer.lr, d.lr);
  EXPECT_EQ(o.optimizer.lazy_embeddings, d.lazy_embeddings);
  EXPECT_EQ(o.schedule.kind, d.lr_schedule);
  EXPECT_EQ(o.monitor, d.monitor);
  EXPECT_EQ(o.patience, d.patience);
  EXPECT_EQ(o.model.bigram_buckets, d.bigram_buckets);
}

TEST(PresetDefaultsTest, ExplicitFlagsWin) {
  auto d = *preset_defaults("fasttext");
  TrainOptions o;
  o.model = *nn::ModelConfig::preset("fasttext");
  o.optimizer.lr = 0.25f;  // as CLI11 would have stored the user's --lr 0.25
  o.epochs = 3;
  o.preprocess.tokenizer = core::TokenizerKind::kWord;
  const std::set<std::string> given = {"lr", "epochs", "tokenizer"};
  auto applied =
      apply_preset_defaults(d, [&](const std::string& f) { return given.count(f) > 0; }, &o);
  EXPECT_FLOAT_EQ(o.optimizer.lr, 0.25f);
  EXPECT_EQ(o.epochs, 3);
  EXPECT_EQ(o.preprocess.tokenizer, core::TokenizerKind::kWord);
  EXPECT_FALSE(contains(applied, "lr"));
  EXPECT_FALSE(contains(applied, "epochs"));
  EXPECT_TRUE(contains(applied, "optimizer"));
  EXPECT_EQ(applied.size(), preset_default_flags().size() - given.size());
  EXPECT_EQ(o.vocab_size, d.vocab_size);  // unset flags still take the preset's value
}

TEST(PresetDefaultsTest, DescriptionNamesEveryPreset) {
  const std::string text = describe_preset_defaults();
  for (const auto& d : all_preset_defaults()) {
    EXPECT_NE(text.find(d.preset + ":"), std::string::npos) << d.preset;
  }
  EXPECT_NE(text.find("--lazy-embeddings true"), std::string::npos);
}

}  // namespace
}  // namespace fenlei::train
