#include "fenlei/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eval/metrics_json.h"

namespace fenlei::eval {
namespace {

using ::testing::HasSubstr;

// Hand-computed (and matching sklearn.metrics.classification_report):
//   truth 0 0 0 1 1 2 2 2 2 0
//   pred  0 1 0 1 2 2 2 0 2 0
// confusion rows(true)/cols(pred): a [3 1 0 0], b [0 1 1 0], c [1 0 3 0], d [0 0 0 0]
Metrics example() {
  return compute_metrics({0, 0, 0, 1, 1, 2, 2, 2, 2, 0}, {0, 1, 0, 1, 2, 2, 2, 0, 2, 0},
                         {"a", "b", "c", "d"}, 0.25);
}

TEST(Metrics, HandComputedExample) {
  const Metrics m = example();
  EXPECT_EQ(m.n, 10);
  EXPECT_DOUBLE_EQ(m.loss, 0.25);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.7);
  const std::vector<std::vector<int64_t>> want = {
      {3, 1, 0, 0}, {0, 1, 1, 0}, {1, 0, 3, 0}, {0, 0, 0, 0}};
  EXPECT_EQ(m.confusion, want);
  ASSERT_EQ(m.per_class.size(), 4u);
  EXPECT_EQ(m.per_class[0].label, "a");
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 0.75);
  EXPECT_DOUBLE_EQ(m.per_class[0].recall, 0.75);
  EXPECT_DOUBLE_EQ(m.per_class[0].f1, 0.75);
  EXPECT_EQ(m.per_class[0].support, 4);
  EXPECT_DOUBLE_EQ(m.per_class[1].precision, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[1].recall, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[1].f1, 0.5);
  EXPECT_EQ(m.per_class[1].support, 2);
  EXPECT_DOUBLE_EQ(m.per_class[2].f1, 0.75);
  // d never occurs and is never predicted: zeros, and left out of the macro mean.
  EXPECT_DOUBLE_EQ(m.per_class[3].precision, 0.0);
  EXPECT_DOUBLE_EQ(m.per_class[3].f1, 0.0);
  EXPECT_EQ(m.per_class[3].support, 0);
  EXPECT_DOUBLE_EQ(m.macro_f1, (0.75 + 0.5 + 0.75) / 3);
  EXPECT_DOUBLE_EQ(m.weighted_f1, 0.7);
}

TEST(Metrics, NeverPredictedClassHasZeroPrecision) {
  const Metrics m = compute_metrics({0, 1, 1}, {0, 0, 0}, {"x", "y"}, 0.0);
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.per_class[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(m.per_class[0].f1, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[1].precision, 0.0);
  EXPECT_DOUBLE_EQ(m.per_class[1].recall, 0.0);
  EXPECT_DOUBLE_EQ(m.per_class[1].f1, 0.0);
  EXPECT_DOUBLE_EQ(m.macro_f1, 0.25);  // y occurs in the truth, so it counts
  EXPECT_DOUBLE_EQ(m.weighted_f1, 0.5 / 3);
}

// scikit-learn's classification_report "macro avg" / "weighted avg" rows for precision and
// recall, over the classes seen in the truth or the predictions (as macro F1).
TEST(Metrics, MacroAndWeightedPrecisionAndRecall) {
  // truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2:
  //   class 0: p 2/2 r 2/3; class 1: p 1/2 r 1/2; class 2: p 1/2 r 1/1; class 3 never seen.
  const Metrics m =
      compute_metrics({0, 0, 0, 1, 1, 2}, {0, 0, 1, 1, 2, 2}, {"a", "b", "c", "d"}, 0);
  EXPECT_NEAR(m.macro_precision, (1.0 + 0.5 + 0.5) / 3, 1e-12);
  EXPECT_NEAR(m.macro_recall, (2.0 / 3 + 0.5 + 1.0) / 3, 1e-12);
  EXPECT_NEAR(m.weighted_precision, (3 * 1.0 + 2 * 0.5 + 1 * 0.5) / 6, 1e-12);
  EXPECT_NEAR(m.weighted_recall, (3 * (2.0 / 3) + 2 * 0.5 + 1 * 1.0) / 6, 1e-12);
  const nlohmann::json j = metrics_to_json(m);
  EXPECT_DOUBLE_EQ(j.at("macro_precision").get<double>(), m.macro_precision);
  EXPECT_DOUBLE_EQ(j.at("weighted_recall").get<double>(), m.weighted_recall);
}

TEST(Metrics, PerfectAndEmpty) {
  const Metrics p = compute_metrics({1, 0, 1}, {1, 0, 1}, {"x", "y"}, 0.1);
  EXPECT_DOUBLE_EQ(p.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(p.macro_f1, 1.0);
  EXPECT_DOUBLE_EQ(p.weighted_f1, 1.0);
  const Metrics e = compute_metrics({}, {}, {"x", "y"}, 0.0);
  EXPECT_EQ(e.n, 0);
  EXPECT_DOUBLE_EQ(e.accuracy, 0.0);
  EXPECT_DOUBLE_EQ(e.macro_f1, 0.0);
  EXPECT_EQ(e.confusion.size(), 2u);
}

TEST(Metrics, TextReportIsAligned) {
  const std::string text = format_metrics_text(example(), true, true);
  EXPECT_THAT(text, HasSubstr("n 10  loss 0.2500  accuracy 0.7000  macro_f1 0.6667  weighted_f1 0.7000"));
  // The label column is as wide as "weighted avg", the widest row name.
  EXPECT_THAT(text, HasSubstr("label         precision     recall         f1  support\n"));
  EXPECT_THAT(text, HasSubstr("a                0.7500     0.7500     0.7500        4\n"));
  EXPECT_THAT(text, HasSubstr("macro avg        0.6667     0.6667     0.6667       10\n"));
  EXPECT_THAT(text, HasSubstr("weighted avg     0.7000     0.7000     0.7000       10\n"));
  EXPECT_THAT(text, HasSubstr("confusion (rows: true label, columns: predicted)"));
  EXPECT_THAT(text, HasSubstr("2 c      1  0  3  0\n"));
  const std::string brief = format_metrics_text(example(), false, false);
  EXPECT_EQ(brief.find("precision"), std::string::npos);
  EXPECT_EQ(brief.find("confusion"), std::string::npos);
}

TEST(Metrics, WideLabelsAreMeasuredInColumns) {
  EXPECT_EQ(display_width("水果"), 4u);
  EXPECT_EQ(display_width("ab"), 2u);
  EXPECT_EQ(display_width("ｘ"), 2u);
  const Metrics m = compute_metrics({0, 1}, {0, 1}, {"水果", "pos"}, 0.0);
  const std::string text = format_metrics_text(m, true, false);
  // "weighted avg" (12 columns) is the widest name, so every row pads to 12 columns.
  // Both rows reach the precision column at the same terminal column (4 + 13 = 3 + 14).
  EXPECT_THAT(text, HasSubstr("\n水果             1.0000"));
  EXPECT_THAT(text, HasSubstr("\npos              1.0000"));
}

TEST(Metrics, Json) {
  const nlohmann::json j = metrics_to_json(example());
  EXPECT_EQ(j.at("n"), 10);
  EXPECT_DOUBLE_EQ(j.at("accuracy").get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(j.at("macro_f1").get<double>(), 2.0 / 3);
  ASSERT_EQ(j.at("per_class").size(), 4u);
  EXPECT_EQ(j.at("per_class")[1].at("label"), "b");
  EXPECT_EQ(j.at("per_class")[1].at("support"), 2);
  EXPECT_EQ(j.at("confusion").at("labels"), nlohmann::json({"a", "b", "c", "d"}));
  EXPECT_EQ(j.at("confusion").at("matrix")[2], nlohmann::json({1, 0, 3, 0}));
  EXPECT_TRUE(j.contains("loss"));
  EXPECT_TRUE(j.contains("weighted_f1"));
}

}  // namespace
}  // namespace fenlei::eval
