// End to end through the real `fenlei` binary on examples/: prune a seed-cnn (smaller file,
// report printed and recorded, usable by test/predict/quantize) and the errors of `fenlei prune`
// (fasttext: nothing to prune; int8: prune the float model; bad sparsity: usage).
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "trained_sample_model.h"

namespace fenlei {
namespace {

using testing::example_path;
using testing::run_fenlei;
using testing::TempDir;

class PruneCli : public testing::TrainedSampleModel<PruneCli> {};

TEST_F(PruneCli, PrunedModelIsSmallerReportsAndWorksDownstream) {
  const std::string out = dir_->file("pruned.fenlei");
  auto r = run_fenlei("prune '" + model_ + "' --sparsity 0.5 --train '" +
                      example_path("reviews_train.tsv") + "' --valid '" + example_path("reviews_test.tsv") +
                      "' -o '" + out + "' --epochs 1 --threads 1 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* key : {"size\t", "speed\t", "accuracy\t", "parameters\t"})
    EXPECT_NE(r.out.find(key), std::string::npos) << key << "\n" << r.out;
  ASSERT_TRUE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".prune-tmp"));
  // seed-cnn's size is mostly the embedding table, which pruning keeps; the conv and dense
  // tensors halve.
  EXPECT_LT(std::filesystem::file_size(out), std::filesystem::file_size(model_));

  auto info = run_fenlei("info --json '" + out + "'");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(nlohmann::json::parse(info.out)["precision"], "float32") << info.out;
  const auto meta = nlohmann::json::parse(info.out)["metadata"];
  EXPECT_EQ(meta["architecture"]["filters"].get<int>(), 64) << info.out;
  ASSERT_TRUE(meta["lineage"].contains("pruning")) << info.out;
  const auto& p = meta["lineage"]["pruning"];
  EXPECT_EQ(p["sparsity"].get<double>(), 0.5);
  EXPECT_EQ(p["after"]["file_bytes"].get<uint64_t>(), std::filesystem::file_size(out));
  EXPECT_EQ(p["before"]["file_bytes"].get<uint64_t>(), std::filesystem::file_size(model_));
  // Exactly 64 filters (5 x 16 weights + a bias) and their 64 output-layer columns go; the
  // embedding table is untouched.
  EXPECT_EQ(p["before"]["parameters"].get<int64_t>() - p["after"]["parameters"].get<int64_t>(),
            64 * (5 * 16 + 1) + 64);
  EXPECT_GT(p["after"]["examples_per_second"].get<double>(), 0.0);
  EXPECT_EQ(p["kept_conv_filters"][0].size(), 64u);
  EXPECT_EQ(meta["lineage"]["base_model"].get<std::string>(), model_);

  // The pruned file is an ordinary model: test, predict, quantize.
  auto t = run_fenlei("test '" + out + "' '" + example_path("reviews_test.tsv") + "' --json");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NEAR(nlohmann::json::parse(t.out)["accuracy"].get<double>(),
              p["after"]["accuracy"].get<double>(), 0.01);
  auto pr = run_fenlei("predict '" + out + "'", "房间很干净，服务也好\n太吵了，不会再来\n");
  ASSERT_EQ(pr.exit_code, 0) << pr.err;
  auto q = run_fenlei("quantize '" + out + "' -o '" + dir_->file("pruned_q.fenlei") + "'");
  EXPECT_EQ(q.exit_code, 0) << q.err;
}

TEST_F(PruneCli, RecoveryDataWithUnseenWordsDoesNotGrowTheVocabulary) {
  // reviews_test.tsv has words the model never saw; fine-tuning would append them, pruning
  // must not (they would regrow the embedding table). No --valid: a held-out split is used.
  const std::string out = dir_->file("pruned_other.fenlei");
  auto r = run_fenlei("prune '" + model_ + "' --sparsity 0.25 --train '" +
                      example_path("reviews_test.tsv") + "' -o '" + out + "' --epochs 1 --threads 1 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(last 20%)"), std::string::npos) << r.out;
  const auto before = nlohmann::json::parse(run_fenlei("info --json '" + model_ + "'").out);
  const auto after = nlohmann::json::parse(run_fenlei("info --json '" + out + "'").out);
  EXPECT_EQ(after["metadata"]["architecture"]["vocab_size"],
            before["metadata"]["architecture"]["vocab_size"]);
  EXPECT_EQ(after["metadata"]["architecture"]["filters"].get<int>(), 96);
}

TEST_F(PruneCli, ModelsWithNothingToPruneAndInt8ModelsAreRefused) {
  const std::string ft = dir_->file("ft.fenlei");
  auto tr = run_fenlei("train -i '" + example_path("reviews_train.tsv") + "' -o '" + ft +
                       "' --model fasttext --epochs 1 --threads 1 --checkpoint none -q");
  ASSERT_EQ(tr.exit_code, 0) << tr.err;
  const std::string out = dir_->file("never.fenlei");
  auto r = run_fenlei("prune '" + ft + "' --sparsity 0.5 --train '" +
                      example_path("reviews_train.tsv") + "' -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nothing to prune"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  const std::string q = dir_->file("q.fenlei");
  ASSERT_EQ(run_fenlei("quantize '" + model_ + "' -o '" + q + "'").exit_code, 0);
  r = run_fenlei("prune '" + q + "' --sparsity 0.5 --train '" + example_path("reviews_train.tsv") +
                 "' -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("prune the float model"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(PruneCli, SparsityOutsideTheOpenUnitIntervalIsAUsageError) {
  const std::string out = dir_->file("never.fenlei");
  for (const char* s : {"0", "1", "1.5", "-0.2", "half"}) {
    auto r = run_fenlei("prune '" + model_ + "' --sparsity " + s + " --train '" +
                        example_path("reviews_train.tsv") + "' -o '" + out + "'");
    EXPECT_EQ(r.exit_code, 2) << s << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  // In range but too small to remove one of 128 filters: a failure, not a silent no-op.
  auto tiny = run_fenlei("prune '" + model_ + "' --sparsity 0.001 --train '" +
                         example_path("reviews_train.tsv") + "' -o '" + out + "'");
  EXPECT_EQ(tiny.exit_code, 1) << tiny.err;
  EXPECT_NE(tiny.err.find("removes no filter"), std::string::npos) << tiny.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  auto missing = run_fenlei("prune '" + model_ + "' --train '" + example_path("reviews_train.tsv") +
                            "' -o '" + out + "'");
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
}

}  // namespace
}  // namespace fenlei
