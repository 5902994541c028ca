// `fenlei train` applies the preset's training defaults to flags the user did not give, lets
// given flags win, and records the values used in the model (skipped when the binary is absent).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fenlei::train {
namespace {

using fenlei::testing::run_fenlei;

class PresetDefaultsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(fenlei::testing::fenlei_binary())) {
      GTEST_SKIP() << "fenlei binary not built";
    }
  }
  // Trains 1 epoch on the bundled sample and returns `fenlei info --json` of the model.
  nlohmann::json train_and_info(const std::string& flags) {
    const std::string data = std::string(FENLEI_SOURCE_DIR) + "/examples/reviews_train.tsv";
    const std::string model = dir_.file("m.fenlei");
    auto r = run_fenlei("train -i '" + data + "' -o '" + model +
                        "' --epochs 1 --threads 1 --checkpoint none -q " + flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto info = run_fenlei("info --json '" + model + "'");
    EXPECT_EQ(info.exit_code, 0) << info.err;
    return nlohmann::json::parse(info.out, nullptr, false);
  }
  fenlei::testing::TempDir dir_;
};

TEST_F(PresetDefaultsCli, FastTextTakesItsOwnDefaults) {
  // --bigram-buckets keeps the test small; every other covered flag comes from the preset.
  const auto j = train_and_info("-m fasttext --bigram-buckets 1000");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["tokenizer"], "char");
  EXPECT_EQ(j["max_len"], 512);
  const auto& o = j["metadata"]["training"]["options"];
  EXPECT_EQ(o["lazy_embeddings"], true);
  EXPECT_EQ(o["vocab_size"], 0);
  EXPECT_EQ(o["patience"], 2);
  EXPECT_NEAR(o["lr"].get<double>(), 5e-3, 1e-9);
  EXPECT_EQ(j["metadata"]["architecture"]["bigram_buckets"], 1000);
}

TEST_F(PresetDefaultsCli, GivenFlagsWinOverThePreset) {
  const auto j = train_and_info("-m fasttext --bigram-buckets 0 --tokenizer word --lr 0.02 "
                                "--max-len 64 --lazy-embeddings false");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["tokenizer"], "word");
  EXPECT_EQ(j["max_len"], 64);
  const auto& o = j["metadata"]["training"]["options"];
  EXPECT_EQ(o["lazy_embeddings"], false);
  EXPECT_NEAR(o["lr"].get<double>(), 0.02, 1e-8);
  EXPECT_EQ(o["vocab_size"], 0);  // not given: still the preset's
  EXPECT_EQ(j["metadata"]["architecture"]["bigram_buckets"], 0);
}

TEST_F(PresetDefaultsCli, SeedCnnKeepsTheSeedRecipe) {
  const auto j = train_and_info("");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["architecture"], "seed-cnn");
  EXPECT_EQ(j["tokenizer"], "word");
  EXPECT_EQ(j["max_len"], 128);
  const auto& o = j["metadata"]["training"]["options"];
  EXPECT_EQ(o["vocab_size"], 10000);
  EXPECT_EQ(o["optimizer"], "adam");
  EXPECT_EQ(o["lazy_embeddings"], false);
  EXPECT_EQ(j["metadata"]["architecture"]["bigram_buckets"], 0);
}

}  // namespace
}  // namespace fenlei::train
