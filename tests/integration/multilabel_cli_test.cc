// Multi-label data end to end through the binary: fastText lines with several __label__s train a
// one-sigmoid-per-label model (nothing is silently cut to the first label), `test` reports
// multi-label metrics, `predict` lists every label that applies, and int8 keeps it multi-label.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "test_util.h"

namespace fenlei::testing {
namespace {

using ::testing::HasSubstr;

// Each text names a product category and a sentiment; its labels are both. Every combination
// of category word and sentiment phrase appears `reps` times, in an order set by `salt`.
std::string multi_label_data(int reps, int salt) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> category = {
      {"书籍", {"这本书", "这部小说", "作者写的书"}}, {"水果", {"这箱苹果", "香蕉", "这些橙子"}},
      {"手机", {"这部手机", "屏幕", "电池"}}};
  const std::vector<std::pair<std::string, std::vector<std::string>>> sentiment = {
      {"正面", {"非常好，很喜欢", "质量不错，满意", "值得推荐"}},
      {"负面", {"太差了，很失望", "质量很差，要退货", "不推荐"}}};
  std::vector<std::string> combos;
  for (const auto& [c, words] : category)
    for (const auto& w : words)
      for (const auto& [s, phrases] : sentiment)
        for (const auto& p : phrases) combos.push_back("__label__" + c + " __label__" + s + " " + w + p);
  std::string out;
  for (int r = 0; r < reps; ++r)
    for (size_t k = 0; k < combos.size(); ++k)
      out += combos[(k * 7 + size_t(r) * 5 + size_t(salt)) % combos.size()] + "\n";
  return out;
}

class MultiLabelCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_text_file(dir_->file("train.txt"), multi_label_data(4, 0));
    write_text_file(dir_->file("test.txt"), multi_label_data(1, 3));
    model_ = dir_->file("multi.fenlei");
    train_ = run_fenlei("train -i '" + dir_->file("train.txt") + "' -o '" + model_ +
                        "' -m fasttext --epochs 20 --bigram-buckets 1000 --threads 1 --checkpoint none");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static inline TempDir* dir_ = nullptr;
  static inline std::string model_;
  static inline CommandResult train_;
};

TEST_F(MultiLabelCli, TrainsOnEveryLabelAndSaysSo) {
  ASSERT_EQ(train_.exit_code, 0) << train_.err;
  EXPECT_THAT(train_.err, HasSubstr("several labels: training a multi-label model"));
  const auto info = run_fenlei("info '" + model_ + "' --json");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("\"ova\""));
}

TEST_F(MultiLabelCli, TestReportsMultiLabelMetrics) {
  ASSERT_EQ(train_.exit_code, 0) << train_.err;
  const auto r = run_fenlei("test '" + model_ + "' '" + dir_->file("test.txt") + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["multi_label"].get<bool>());
  EXPECT_EQ(j["n"].get<int>(), 54);
  EXPECT_GT(j["micro_f1"].get<double>(), 0.9) << r.out;
  EXPECT_GT(j["precision_at_k"].get<double>(), 0.9) << r.out;
  EXPECT_EQ(j["per_label"].size(), 5u);
  // Text form, with --k 2: both labels of each text are its two best.
  const auto text = run_fenlei("test '" + model_ + "' '" + dir_->file("test.txt") +
                               "' --k 2 --per-class");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("P@2"));
  EXPECT_THAT(text.out, HasSubstr("micro_f1"));
  EXPECT_THAT(text.out, HasSubstr("正面"));
}

TEST_F(MultiLabelCli, PredictListsEveryLabelThatApplies) {
  ASSERT_EQ(train_.exit_code, 0) << train_.err;
  const auto r = run_fenlei("predict '" + model_ + "' --json", "这部手机质量很差，要退货\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> labels;
  for (const auto& s : j["top_k"]) labels.push_back(s["label"]);
  EXPECT_THAT(labels, ::testing::UnorderedElementsAre("手机", "负面")) << r.out;
  // --k 1 asks for the best one only.
  const auto one = run_fenlei("predict '" + model_ + "' --k 1", "这部手机质量很差，要退货\n");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(std::count(one.out.begin(), one.out.end(), '\t'), 1) << one.out;
}

TEST_F(MultiLabelCli, SoftmaxOnMultiLabelDataWarnsAndKeepsTheFirstLabel) {
  const std::string out = dir_->file("softmax.fenlei");
  const auto r = run_fenlei("train -i '" + dir_->file("train.txt") + "' -o '" + out +
                            "' -m fasttext --loss softmax --epochs 1 --bigram-buckets 1000 --threads 1 --checkpoint none");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("uses the first of each"));
}

TEST_F(MultiLabelCli, QuantizedModelStaysMultiLabel) {
  ASSERT_EQ(train_.exit_code, 0) << train_.err;
  const std::string q = dir_->file("multi.int8.fenlei");
  const auto r = run_fenlei("quantize '" + model_ + "' -o '" + q + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto t = run_fenlei("test '" + q + "' '" + dir_->file("test.txt") + "' --json");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_GT(nlohmann::json::parse(t.out)["micro_f1"].get<double>(), 0.9) << t.out;
}

}  // namespace
}  // namespace fenlei::testing
