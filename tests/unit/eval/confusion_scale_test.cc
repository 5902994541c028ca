// The confusion counts grow with the labels and the examples, not with labels squared: 10,000
// labels with one example each used to need a 10,000 x 10,000 matrix (4.9 GB in training).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eval/metrics_json.h"
#include "fenlei/metrics.h"

namespace fenlei::eval {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> many_labels(int k) {
  std::vector<std::string> labels;
  for (int i = 0; i < k; ++i) labels.push_back("label_" + std::to_string(i));
  return labels;
}

TEST(ConfusionScaleTest, ManyLabelsKeepJsonAndTextLinear) {
  const int k = 5000;
  std::vector<int> truth, predicted;
  for (int i = 0; i < k; ++i) {
    truth.push_back(i);
    predicted.push_back(i % 3 == 0 ? (i + 1) % k : i);  // a third confused with the next label
  }
  const Metrics m = compute_metrics(truth, predicted, many_labels(k), 0.5);
  EXPECT_EQ(m.n, k);
  EXPECT_EQ(m.confusion.size(), static_cast<size_t>(k));
  EXPECT_EQ(m.confusion.entries().size(), static_cast<size_t>(k));
  EXPECT_EQ(m.confusion.at(3, 4), 1);
  EXPECT_EQ(m.confusion.at(4, 4), 1);
  EXPECT_EQ(m.confusion.at(4, 3), 0);

  // A dense matrix would be 25 million numbers (~50 MB of JSON).
  const std::string json = metrics_to_json(m).dump();
  EXPECT_LT(json.size(), size_t{2} << 20);
  const nlohmann::json j = nlohmann::json::parse(json);
  EXPECT_FALSE(j["confusion"].contains("matrix"));
  EXPECT_EQ(j["confusion"]["entries"].size(), static_cast<size_t>(k));
  EXPECT_EQ(j["confusion"]["entries"][0], nlohmann::json({0, 1, 1}));

  const std::string text = format_metrics_text(m, false, true);
  EXPECT_LT(text.size(), size_t{8} << 10);
  EXPECT_THAT(text, HasSubstr("5000 labels are too many for a matrix; the 50 of 1667 most frequent"));
  EXPECT_THAT(text, HasSubstr("true label  predicted as  count\n"));
  EXPECT_THAT(text, HasSubstr("label_0     label_1           1\n"));
}

TEST(ConfusionScaleTest, SmallLabelSetsKeepTheMatrix) {
  const Metrics m = compute_metrics({0, 1, 1, 2}, {0, 1, 2, 2}, {"a", "b", "c"}, 0.0);
  const nlohmann::json j = metrics_to_json(m);
  EXPECT_EQ(j["confusion"]["matrix"], nlohmann::json({{1, 0, 0}, {0, 1, 1}, {0, 0, 1}}));
  EXPECT_EQ(j["confusion"]["entries"],
            nlohmann::json({{0, 0, 1}, {1, 1, 1}, {1, 2, 1}, {2, 2, 1}}));
  EXPECT_EQ(m.confusion.row_total(1), 2);
  EXPECT_EQ(m.confusion.column_total(2), 2);
  EXPECT_EQ(m.confusion.diagonal(1), 1);
  EXPECT_THAT(format_metrics_text(m, false, true), HasSubstr("1 b      0  1  1\n"));
}

}  // namespace
}  // namespace fenlei::eval
