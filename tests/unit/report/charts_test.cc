#include "report/charts.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "report/analysis.h"
#include "report/svg.h"

namespace fenlei::report {
namespace {

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

// Every chart is one well-formed <svg> with balanced elements and no NaN or script.
void expect_clean_svg(const std::string& svg) {
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u) << svg.substr(0, 80);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(count(svg, "<text"), count(svg, "</text>"));
  EXPECT_EQ(count(svg, "<title>"), count(svg, "</title>"));
}

TEST(Svg, EscapesTextAndTooltips) {
  Svg svg(100, 50, "a <b> chart");
  svg.text(1, 2, "<script>x</script>");
  svg.rect(0, 0, 10, 10, "#fff", "\"tip\" & more");
  const std::string s = svg.str();
  EXPECT_NE(s.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos) << s;
  EXPECT_NE(s.find("<title>&quot;tip&quot; &amp; more</title>"), std::string::npos) << s;
  EXPECT_NE(s.find("aria-label=\"a &lt;b&gt; chart\""), std::string::npos) << s;
  EXPECT_EQ(s.find("<b>"), std::string::npos);
}

TEST(LineChart, DrawsEverySeriesPointAndTheKeptEpochMarker) {
  LineChart c{"loss", "epoch", "loss", {}, 2.0, "kept: epoch 2", false, true};
  c.series = {{"train", colors::kBlue, {{1, 0.9}, {2, 0.5}, {3, 0.4}}, false},
              {"validation", colors::kVermillion, {{1, 1.0}, {2, 0.6}, {3, NAN}}, true}};
  const std::string s = line_chart(c);
  expect_clean_svg(s);
  EXPECT_EQ(count(s, "<polyline"), 2u + 1u);  // two series and the dashed legend swatch
  EXPECT_EQ(count(s, "<circle"), 5u);         // the NaN point is left out
  EXPECT_NE(s.find("kept: epoch 2"), std::string::npos);
  EXPECT_NE(s.find("class=\"marker\""), std::string::npos);
  EXPECT_NE(s.find("train at epoch 2: 0.5"), std::string::npos);
}

TEST(LineChart, OnePointAndNoDataStillDraw) {
  LineChart one{"acc", "epoch", "accuracy", {}, {}, {}, true, true};
  one.series = {{"train", colors::kBlue, {{1, 0.7}}, false}};
  expect_clean_svg(line_chart(one));
  LineChart none{"acc", "epoch", "accuracy", {}, {}, {}, true, true};
  const std::string s = line_chart(none);
  expect_clean_svg(s);
  EXPECT_NE(s.find("no data"), std::string::npos);
}

TEST(BarChart, OneBarPerValueScaledToTheMaximum) {
  BarChart c{"prf", {"precision", "recall"}, {colors::kBlue, colors::kOrange}, {}, 1.0, false};
  c.rows = {{"pos", {1.0, 0.5}, "n=3"}, {"<neg>", {0.25, 0.0}, ""}};
  const std::string s = bar_chart(c);
  expect_clean_svg(s);
  EXPECT_NE(s.find("&lt;neg&gt;"), std::string::npos);
  EXPECT_NE(s.find("n=3"), std::string::npos);
  // Bars of 1.0 and 0.5 over the same axis: the second is half as wide as the first.
  std::smatch m;
  const std::regex bar_re("width=\"([0-9.]+)\" height=\"7\" fill=\"#0072B2\"><title>pos precision");
  ASSERT_TRUE(std::regex_search(s, m, bar_re)) << s;
  const double full = std::stod(m[1]);
  const std::regex half_re("width=\"([0-9.]+)\" height=\"7\" fill=\"#E69F00\"><title>pos recall");
  ASSERT_TRUE(std::regex_search(s, m, half_re)) << s;
  EXPECT_NEAR(std::stod(m[1]), full / 2, 0.02);
}

TEST(ConfusionHeatmap, OneCellPerPairWithCountsAndTooltips) {
  const std::vector<std::string> labels = {"pos", "neg", "a&b"};
  const std::vector<std::vector<int64_t>> counts = {{8, 2, 0}, {1, 9, 0}, {0, 0, 5}};
  const std::string s = confusion_heatmap(labels, counts);
  expect_clean_svg(s);
  EXPECT_EQ(count(s, "<rect"), 9u);
  EXPECT_NE(s.find("true pos, predicted neg: 2 (20% of pos)"), std::string::npos) << s;
  EXPECT_NE(s.find(">9</text>"), std::string::npos);
  EXPECT_NE(s.find("a&amp;b"), std::string::npos);
  EXPECT_EQ(s.find("a&b"), std::string::npos);
}

TEST(Histogram, StacksSeriesAndSkipsEmptyBins) {
  Histogram h{"h", "x", "n", {0, 0.5, 1}, {"right", "wrong"}, {colors::kBlue, colors::kVermillion},
              {{3, 0}, {1, 2}}};
  const std::string s = histogram(h);
  expect_clean_svg(s);
  EXPECT_EQ(count(s, "<title>right,"), 1u);
  EXPECT_EQ(count(s, "<title>wrong,"), 2u);
}

TEST(ReliabilityDiagram, DrawsBinsWithTexts) {
  double ece = 0;
  const auto bins = calibration_bins({0.95f, 0.95f, 0.55f, 0.55f}, {true, false, true, true}, 10, &ece);
  const std::string s = reliability_diagram(bins, ece);
  expect_clean_svg(s);
  EXPECT_NE(s.find("2 texts"), std::string::npos);
  EXPECT_NE(s.find("diagonal"), std::string::npos);
}

TEST(ShortenLabel, CutsByDisplayColumns) {
  EXPECT_EQ(shorten_label("short", 10), "short");
  EXPECT_EQ(shorten_label("abcdefghijkl", 6), "abcde…");
  EXPECT_EQ(shorten_label("体育新闻频道", 6), "体育…");  // each CJK character is two columns
}

TEST(BlendFromWhite, EndsAtWhiteAndTheColour) {
  EXPECT_EQ(blend_from_white("#0072B2", 0), "#ffffff");
  EXPECT_EQ(blend_from_white("#0072B2", 1), "#0072b2");
  EXPECT_EQ(blend_from_white("#000000", 0.5), "#808080");
}

TEST(Analysis, CalibrationBinsAndExpectedCalibrationError) {
  double ece = -1;
  const auto bins = calibration_bins({0.95f, 0.95f, 0.55f, 0.55f}, {true, false, true, true}, 10, &ece);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[9].count, 2);
  EXPECT_DOUBLE_EQ(bins[9].accuracy, 0.5);
  EXPECT_EQ(bins[5].count, 2);
  EXPECT_DOUBLE_EQ(bins[5].accuracy, 1.0);
  // Half the texts off by 0.45 each way: 0.5 * 0.45 + 0.5 * 0.45.
  EXPECT_NEAR(ece, 0.45, 1e-6);
}

TEST(Analysis, TopConfusedPairsAndWorstExamples) {
  eval::ConfusionMatrix confusion(3);
  const std::vector<std::vector<int64_t>> table = {{5, 1, 3}, {0, 4, 2}, {1, 0, 7}};
  for (size_t t = 0; t < 3; ++t)
    for (size_t p = 0; p < 3; ++p)
      if (table[t][p] > 0) confusion.add(int(t), int(p), table[t][p]);
  const auto pairs = top_confused_pairs(confusion, 2);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].truth, 0);
  EXPECT_EQ(pairs[0].predicted, 2);
  EXPECT_EQ(pairs[0].count, 3);
  EXPECT_EQ(pairs[1].truth, 1);  // 2 beats the two 1s
  const auto worst = worst_examples({0, 1, 0, 1}, {{0.9f, 0.1f}, {0.8f, 0.2f}, {0.3f, 0.7f}, {0.1f, 0.9f}}, 5);
  EXPECT_EQ(worst, (std::vector<size_t>{1, 2}));  // truth probability 0.2, then 0.3
}

TEST(Analysis, MostConfusedLabelsInOrderOfTheirPairs) {
  const std::vector<ConfusedPair> pairs = {{4, 2, 9}, {2, 4, 5}, {7, 2, 3}, {1, 0, 1}};
  EXPECT_EQ(most_confused_labels(pairs, 10), (std::vector<int>{4, 2, 7, 1, 0}));
  EXPECT_EQ(most_confused_labels(pairs, 3), (std::vector<int>{4, 2, 7}));
}

TEST(ConfusionHeatmap, ACutOutKeepsSharesOfTheFullRows) {
  // Row "a" has 10 texts in the full matrix, 4 of them in this cut-out.
  const std::string s = confusion_heatmap({"a", "b"}, {{1, 3}, {0, 2}}, {10, 2});
  EXPECT_NE(s.find("true a, predicted b: 3 (30% of a)"), std::string::npos) << s;
}

TEST(Analysis, LengthBinsCoverTheLongestText) {
  const auto edges = length_bin_edges({3, 17, 95}, 10);
  EXPECT_EQ(edges.front(), 0);
  EXPECT_GT(edges.back(), 95);
  EXPECT_EQ(edges[1] - edges[0], 10);
  const auto counts = count_into_bins({3, 17, 95}, edges);
  EXPECT_EQ(counts[0], 1);
  EXPECT_EQ(counts[1], 1);
  EXPECT_EQ(counts[9], 1);
}

}  // namespace
}  // namespace fenlei::report
