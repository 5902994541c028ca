// End to end through the real `fenlei` binary: train a small model on examples/ with --log, then
// render reports for it, its int8 copy and a fastText-kind model, and check what the pages hold.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace fenlei {
namespace {

using testing::example_path;
using testing::read_text_file;
using testing::run_fenlei;
using testing::TempDir;
using testing::write_text_file;

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

class ReportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    model_ = dir_->file("float.fenlei");
    log_ = dir_->file("train.log.jsonl");
    const auto r = run_fenlei("train -i '" + example_path("reviews_train.tsv") + "' -o '" + model_ +
                              "' --epochs 3 --threads 1 --checkpoint none -q --log '" + log_ + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static inline TempDir* dir_ = nullptr;
  static inline std::string model_, log_;
};

void expect_self_contained(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
}

TEST_F(ReportCli, FullReportWithTestDataAndLog) {
  const std::string out = dir_->file("report.html");
  auto r = run_fenlei("report '" + model_ + "' --test '" + example_path("reviews_test.tsv") + "' --log '" +
                      log_ + "' --output '" + out + "' --examples 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_text_file(out);
  expect_self_contained(html);
  for (const char* what : {"Loss per epoch", "Accuracy per epoch", "Learning rate per epoch",
                           "Training speed",  // only the --log has timings
                           "Confusion matrix", "Precision, recall and F1 per class",
                           "Reliability diagram", "Probability of the predicted label", "Text length",
                           "Label distribution", "binary (2 labels)", "seed-cnn", "kept: epoch"})
    EXPECT_NE(html.find(what), std::string::npos) << what;
  EXPECT_NE(html.find("training log " + log_), std::string::npos);
  // The worst texts, each with its words coloured by explain weights.
  EXPECT_GE(count(html, "class=\"example\""), 1u);
  EXPECT_LE(count(html, "class=\"example\""), 5u);
  EXPECT_GT(count(html, "class=\"tok"), 3u);
  // Written through a temporary file renamed into place (write_file_atomic): none is left.
  for (const auto& entry : std::filesystem::directory_iterator(dir_->path()))
    EXPECT_EQ(entry.path().filename().string().find("report.html.tmp"), std::string::npos) << entry.path();
}

TEST_F(ReportCli, ModelOnlyInt8AndFastTextKinds) {
  const std::string q = dir_->file("q.fenlei");
  ASSERT_EQ(run_fenlei("quantize '" + model_ + "' -o '" + q + "'").exit_code, 0);
  const std::string ft = dir_->file("ft.fenlei");
  ASSERT_EQ(run_fenlei("train -i '" + example_path("reviews_train.tsv") + "' -o '" + ft +
                       "' --model fasttext --epochs 2 --threads 1 --checkpoint none -q")
                .exit_code,
            0);
  for (const std::string& model : {model_, q, ft}) {
    const std::string out = dir_->file("r.html");
    auto r = run_fenlei("report '" + model + "' --test '" + example_path("reviews_test.tsv") + "' -o '" +
                        out + "'");
    ASSERT_EQ(r.exit_code, 0) << model << ": " << r.err;
    const std::string html = read_text_file(out);
    expect_self_contained(html);
    EXPECT_NE(html.find("Loss per epoch"), std::string::npos) << model;  // history from the file
    EXPECT_NE(html.find("Confusion matrix"), std::string::npos) << model;
  }
  EXPECT_NE(read_text_file(dir_->file("r.html")).find("fasttext"), std::string::npos);
  // Without --test: the card and the curves only.
  auto r = run_fenlei("report '" + q + "' -o '" + dir_->file("card.html") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string card = read_text_file(dir_->file("card.html"));
  EXPECT_NE(card.find("int8 weights"), std::string::npos);
  EXPECT_NE(card.find("No test data given"), std::string::npos);
}

TEST_F(ReportCli, ClearErrorsForBadInputs) {
  const std::string out = dir_->file("never.html");
  auto r = run_fenlei("report '" + dir_->file("missing.fenlei") + "' -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 1);
  write_text_file(dir_->file("bad.log"), "{\"epoch\":1}\nnot json\n");
  r = run_fenlei("report '" + model_ + "' --log '" + dir_->file("bad.log") + "' -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.log:2"), std::string::npos) << r.err;
  write_text_file(dir_->file("other.tsv"), "label\ttext\nsports\t比赛很精彩\n");
  r = run_fenlei("report '" + model_ + "' --test '" + dir_->file("other.tsv") + "' -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("sports"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(run_fenlei("report '" + model_ + "'").exit_code, 2);  // --output is required
}

}  // namespace
}  // namespace fenlei
