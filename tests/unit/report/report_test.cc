#include "report/report.h"

#include <gtest/gtest.h>

#include "report/collect.h"

namespace fenlei::report {
namespace {

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

ReportData sample(size_t labels) {
  ReportData d;
  d.model_path = "models/<m>.fenlei";
  d.info.architecture = "seed-cnn";
  d.info.format_version = 2;
  d.info.checksum = "0badf00d";
  for (size_t i = 0; i < labels; ++i) d.info.labels.push_back(i == 0 ? "<img src=x onerror=alert(1)>" : "L" + std::to_string(i));
  d.info.metadata_json =
      R"({"architecture":{"preset":"seed-cnn","dim":16},"training":{"data":{"train_file":"t.tsv","label_counts":{"L1":10}},)"
      R"("history":[{"epoch":1,"train_loss":0.9,"train_accuracy":0.6,"valid_loss":1.0,"valid_accuracy":0.5,"lr":0.01},)"
      R"({"epoch":2,"train_loss":0.5,"train_accuracy":0.8,"valid_loss":0.7,"valid_accuracy":0.7,"lr":0.005}],"best_epoch":2},)"
      R"("lineage":{"base_model":"</pre><script>x</script>"}})";
  d.history = history_from_metadata(d.info.metadata_json, &d.kept_epoch);
  d.history_source = "model file";
  d.has_test = true;
  d.test.path = "test.tsv";
  for (size_t i = 0; i < labels * 4; ++i) {
    const int truth = static_cast<int>(i % labels);
    const int predicted = i % 3 == 0 ? static_cast<int>((i + 1) % labels) : truth;
    std::vector<float> p(labels, 0.1f / static_cast<float>(labels));
    p[static_cast<size_t>(predicted)] = 0.9f;
    d.test.truth.push_back(truth);
    d.test.probabilities.push_back(p);
    d.test.lengths.push_back(5 + i);
  }
  WorstExample w;
  w.text = "bad <b>text</b>";
  w.truth = 0;
  w.predicted = 1;
  w.truth_probability = 0.01f;
  w.predicted_probability = 0.9f;
  w.explanation.label = "L1";
  w.explanation.tokens = {{"bad", true, 0.4f}, {"<b>", false, -0.1f}, {"text", true, 0.0f}};
  d.test.worst.push_back(w);
  return d;
}

TEST(RenderReport, SelfContainedAndEveryDataStringEscaped) {
  const std::string html = render_report(sample(3));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("</pre><script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("models/&lt;m&gt;.fenlei"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
  EXPECT_EQ(count(html, "<section"), count(html, "</section>"));
  EXPECT_EQ(count(html, "<details"), count(html, "</details>"));
}

TEST(RenderReport, HasEverySectionAndTheKeptEpoch) {
  const std::string html = render_report(sample(3));
  for (const char* id : {"id=\"model\"", "id=\"training\"", "id=\"evaluation\"", "id=\"calibration\"",
                         "id=\"mistakes\"", "id=\"data\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  EXPECT_NE(html.find("kept: epoch 2"), std::string::npos);
  EXPECT_NE(html.find("Confusion matrix"), std::string::npos);
  EXPECT_NE(html.find("Reliability diagram"), std::string::npos);
  EXPECT_NE(html.find("class=\"tok unk\""), std::string::npos);  // the unknown token
  EXPECT_NE(html.find("multi-class (3 labels)"), std::string::npos);
}

TEST(RenderReport, ManyLabelsGiveConfusedPairsNotAHugeMatrix) {
  const std::string html = render_report(sample(200));
  // Only the cut-out of at most 20 x 20 labels is drawn, never the 200 x 200 matrix.
  EXPECT_EQ(count(html, "Confusion matrix:"), 2u);  // one heat map: its aria-label and title
  EXPECT_LE(count(html, "<title>true "), 400u);
  EXPECT_GE(count(html, "<title>true "), 4u);
  EXPECT_NE(html.find("Most confused pairs"), std::string::npos);
  EXPECT_NE(html.find("The weakest classes by F1"), std::string::npos);
  EXPECT_NE(html.find("Confusion among the most confused labels"), std::string::npos);
  // The P/R/F1 chart keeps to 30 rows: 3 bars each (a title per bar).
  const size_t start = html.find("The weakest classes by F1");
  const size_t end = html.find("</svg>", start);
  EXPECT_EQ(count(html.substr(start, end - start), " precision: "), 30u);
  EXPECT_LT(html.size(), 400000u);
}

TEST(RenderReport, BinaryAndNoTestDataAndNoHistory) {
  ReportData d = sample(2);
  EXPECT_NE(render_report(d).find("binary (2 labels)"), std::string::npos);
  d.has_test = false;
  d.history.clear();
  d.kept_epoch = 0;
  const std::string html = render_report(d);
  EXPECT_NE(html.find("No test data given"), std::string::npos);
  EXPECT_NE(html.find("holds no per-epoch history"), std::string::npos);
  EXPECT_EQ(html.find("id=\"calibration\""), std::string::npos);
}

TEST(TrainingLog, LaterLinesForAnEpochWinAndBadLinesAreNamed) {
  auto rows = parse_training_log(
      "{\"epoch\":1,\"train_loss\":1.0,\"examples_per_second\":50}\n\n"
      "{\"epoch\":2,\"train_loss\":0.8}\n{\"epoch\":2,\"train_loss\":0.7}\n",
      "train.log");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_DOUBLE_EQ((*rows)[1].train_loss, 0.7);
  EXPECT_DOUBLE_EQ((*rows)[0].examples_per_second, 50);
  auto bad = parse_training_log("{\"epoch\":1}\nnot json\n", "train.log");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("train.log:2"), std::string::npos);
  EXPECT_FALSE(parse_training_log("", "empty.log").ok());
  EXPECT_FALSE(parse_training_log("{\"epoch\":1e300}\n", "huge.log").ok());
}

TEST(TrainingHistory, KeptEpochIsTheLastWithoutRestoreBest) {
  int kept = -1;
  auto rows = history_from_metadata(
      R"({"training":{"history":[{"epoch":1},{"epoch":2},{"epoch":3}],"best_epoch":1,"options":{"restore_best":false}}})",
      &kept);
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_EQ(kept, 3);
  history_from_metadata(R"({"training":{"history":[{"epoch":1},{"epoch":2}],"best_epoch":1}})", &kept);
  EXPECT_EQ(kept, 1);
  EXPECT_TRUE(history_from_metadata("not json", &kept).empty());
  EXPECT_EQ(kept, 0);
}

}  // namespace
}  // namespace fenlei::report
