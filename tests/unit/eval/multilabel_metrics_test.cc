#include "eval/multilabel_metrics.h"

#include <gtest/gtest.h>

namespace fenlei::eval {
namespace {

// Three labels, three examples, worked by hand.
//   ex0 truth {a, b}  probs a .9 b .2 c .6  -> predicted {a, c}; top-1 a (hit)
//   ex1 truth {c}     probs a .1 b .3 c .8  -> predicted {c};    top-1 c (hit)
//   ex2 truth {b}     probs a .7 b .4 c .1  -> predicted {a};    top-1 a (miss)
MultiLabelMetrics worked_example(int k) {
  MultiLabelAccumulator acc({"a", "b", "c"}, k, 0.5f);
  const float p0[3] = {0.9f, 0.2f, 0.6f}, p1[3] = {0.1f, 0.3f, 0.8f}, p2[3] = {0.7f, 0.4f, 0.1f};
  const int32_t t0[2] = {0, 1}, t1[1] = {2}, t2[1] = {1};
  acc.add(p0, t0, 2);
  acc.add(p1, t1, 1);
  acc.add(p2, t2, 1);
  return acc.finish();
}

TEST(MultiLabelMetrics, AtThreshold) {
  const MultiLabelMetrics m = worked_example(1);
  EXPECT_EQ(m.n, 3);
  // a: tp 1 (ex0) fp 1 (ex2) fn 0; b: tp 0 fp 0 fn 2; c: tp 1 fp 1 fn 0.
  EXPECT_DOUBLE_EQ(m.micro_precision, 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.micro_recall, 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.micro_f1, 0.5);
  EXPECT_DOUBLE_EQ(m.per_label[0].f1, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.per_label[1].f1, 0.0);
  EXPECT_EQ(m.per_label[1].support, 2);
  EXPECT_DOUBLE_EQ(m.macro_f1, (2.0 / 3.0 + 0.0 + 2.0 / 3.0) / 3.0);
  EXPECT_DOUBLE_EQ(m.macro_precision, (0.5 + 0.0 + 0.5) / 3.0);
  EXPECT_DOUBLE_EQ(m.subset_accuracy, 1.0 / 3.0);  // only ex1
  EXPECT_DOUBLE_EQ(m.hamming_loss, 4.0 / 9.0);     // ex0: b, c wrong; ex2: a, b wrong
}

TEST(MultiLabelMetrics, AtK) {
  const MultiLabelMetrics one = worked_example(1);
  EXPECT_DOUBLE_EQ(one.precision_at_k, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(one.recall_at_k, 2.0 / 4.0);
  // k = 2: ex0 {a, c} 1 hit; ex1 {c, b} 1 hit; ex2 {a, b} 1 hit.
  const MultiLabelMetrics two = worked_example(2);
  EXPECT_DOUBLE_EQ(two.precision_at_k, 3.0 / 6.0);
  EXPECT_DOUBLE_EQ(two.recall_at_k, 3.0 / 4.0);
  // k beyond the label count returns every label.
  const MultiLabelMetrics all = worked_example(10);
  EXPECT_DOUBLE_EQ(all.recall_at_k, 1.0);
  EXPECT_DOUBLE_EQ(all.precision_at_k, 4.0 / 9.0);
}

TEST(MultiLabelMetrics, TextAndJson) {
  const MultiLabelMetrics m = worked_example(1);
  const std::string text = format_multilabel_text(m, true);
  EXPECT_NE(text.find("P@1 0.6667"), std::string::npos) << text;
  EXPECT_NE(text.find("micro_f1 0.5000"), std::string::npos) << text;
  const auto j = multilabel_to_json(m);
  EXPECT_EQ(j["per_label"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["micro_f1"].get<double>(), 0.5);
}

}  // namespace
}  // namespace fenlei::eval
