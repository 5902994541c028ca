// End-to-end tests of the real `fenlei` binary: train -> test -> predict -> info on the bundled
// sample data, determinism, resume, and the CLI's error conventions.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fenlei::testing {
namespace {

// One model trained once for the read-only tests below.
class TrainedModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    model_ = dir_->file("m.fenlei");
    const auto r = run_fenlei("train --input '" + example_path("reviews_train.tsv") + "' --output '" +
                              model_ + "' --epochs 6 --seed 3 --threads 2 --log '" +
                              dir_->file("log.jsonl") + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
  static std::string model_;
};
TempDir* TrainedModel::dir_ = nullptr;
std::string TrainedModel::model_;

TEST_F(TrainedModel, LearnsTheSampleTask) {
  const auto r = run_fenlei("test '" + model_ + "' '" + example_path("reviews_test.tsv") + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n"], 160);
  EXPECT_GT(j["accuracy"].get<double>(), 0.85);
  EXPECT_GT(j["macro_f1"].get<double>(), 0.85);
  ASSERT_EQ(j["per_class"].size(), 2u);
  EXPECT_EQ(j["per_class"][0]["label"], "neg");
}

TEST_F(TrainedModel, LogHasOneJsonLinePerEpoch) {
  const std::string log = read_text_file(dir_->file("log.jsonl"));
  std::istringstream lines(log);
  std::string line;
  int epoch = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["epoch"], ++epoch);
    for (const char* key : {"train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "lr",
                            "seconds", "examples_per_second"}) {
      EXPECT_TRUE(j.contains(key)) << key;
    }
  }
  EXPECT_EQ(epoch, 6);
}

TEST_F(TrainedModel, PredictKeepsOneOutputLinePerInputLine) {
  const std::string input = "房间很干净，服务很热情\n\n空调坏了，态度恶劣，差评！\n";
  const auto r = run_fenlei("predict '" + model_ + "' --k 2", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream out(r.out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(out, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("pos\t", 0), 0u) << lines[0];
  EXPECT_EQ(lines[2].rfind("neg\t", 0), 0u) << lines[2];
  // The empty line still gets two labels with probabilities that sum to 1.
  std::istringstream fields(lines[1]);
  std::string l1, p1, l2, p2;
  ASSERT_TRUE(std::getline(fields, l1, '\t') && std::getline(fields, p1, '\t') &&
              std::getline(fields, l2, '\t') && std::getline(fields, p2, '\t'));
  EXPECT_NEAR(std::stod(p1) + std::stod(p2), 1.0, 1e-4);
}

TEST_F(TrainedModel, PredictJsonAndThreshold) {
  const auto r = run_fenlei("predict '" + model_ + "' --json --k 2 --threshold 0.999", "酒店很好\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("label"));
  EXPECT_TRUE(j.contains("score"));
  for (const auto& t : j["top_k"]) EXPECT_GE(t["score"].get<double>(), 0.999);
}

TEST_F(TrainedModel, PredictRejectsInvalidUtf8WithLineNumber) {
  const auto r = run_fenlei("predict '" + model_ + "'", "好\n\xff\xfe bad\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("<stdin>:2"), std::string::npos) << r.err;
  const auto replaced = run_fenlei("predict '" + model_ + "' --replace-invalid-utf8", "\xff\n");
  EXPECT_EQ(replaced.exit_code, 0) << replaced.err;
}

TEST_F(TrainedModel, ExplainAgreesWithPredictAndNamesTheEvidence) {
  const std::string input = "房间很干净，服务很热情\n空调坏了，态度恶劣，差评！\n\n";
  const auto predicted = run_fenlei("predict '" + model_ + "'", input);
  const auto r = run_fenlei("explain '" + model_ + "' --json", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream want(predicted.out), got(r.out);
  std::string p, e;
  int lines = 0;
  while (std::getline(want, p) && std::getline(got, e)) {
    ++lines;
    const auto j = nlohmann::json::parse(e);
    // Same label and probability as predict (which prints 6 significant digits).
    EXPECT_EQ(p.substr(0, p.find('\t')), j["label"].get<std::string>()) << e;
    EXPECT_NEAR(std::stod(p.substr(p.find('\t') + 1)), j["score"].get<double>(), 1e-5);
    EXPECT_FALSE(j["truncated"].get<bool>());
    for (const auto& t : j["tokens"]) {
      EXPECT_FALSE(t["token"].get<std::string>().empty());
      EXPECT_TRUE(t["known"].is_boolean());
      EXPECT_LE(std::abs(t["weight"].get<double>()), 1.0);
    }
    if (lines == 3) EXPECT_TRUE(j["tokens"].empty());  // the empty line
    else EXPECT_GE(j["tokens"].size(), 3u);
  }
  EXPECT_EQ(lines, 3);

  // --top 2 in text form: label, probability, then the two heaviest tokens.
  const auto top = run_fenlei("explain '" + model_ + "' --top 2 --label neg", "空调坏了，态度恶劣，差评！\n");
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(top.out.rfind("neg\t", 0), 0u) << top.out;
  size_t weights = 0;
  for (size_t at = top.out.find("(", 0); at != std::string::npos; at = top.out.find("(", at + 1))
    ++weights;
  EXPECT_EQ(weights, 2u) << top.out;

  const auto bad_label = run_fenlei("explain '" + model_ + "' --label maybe", "好\n");
  EXPECT_EQ(bad_label.exit_code, 1);
  EXPECT_NE(bad_label.err.find("unknown label 'maybe'"), std::string::npos) << bad_label.err;
  const auto bad_text = run_fenlei("explain '" + model_ + "'", "好\n\xff\n");
  EXPECT_EQ(bad_text.exit_code, 1);
  EXPECT_NE(bad_text.err.find("<stdin>:2"), std::string::npos) << bad_text.err;
}

TEST_F(TrainedModel, InfoDescribesTheModel) {
  const auto r = run_fenlei("info '" + model_ + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["architecture"], "seed-cnn");
  EXPECT_EQ(j["labels"], nlohmann::json({"neg", "pos"}));
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["checksum"].get<std::string>().size(), 8u);
  EXPECT_GT(j["parameters"].get<int64_t>(), 10000);
}

TEST_F(TrainedModel, TestRejectsLabelsTheModelDoesNotKnow) {
  TempDir dir;
  write_text_file(dir.file("d.tsv"), "label\ttext\nneutral\t还行吧\n");
  const auto r = run_fenlei("test '" + model_ + "' '" + dir.file("d.tsv") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("neutral"), std::string::npos) << r.err;
}

// fenlei test reads standard input like predict, and reports fastText's P@k / R@k: with one
// label per example, R@k is the share of examples whose label is among the k best, and at
// k = number of labels every label is predicted, so R@k = 1 and P@k = 1 / labels.
TEST_F(TrainedModel, TestReadsStandardInputAndReportsPrecisionAtK) {
  const std::string data = read_text_file(example_path("reviews_test.tsv"));
  TempDir dir;
  write_text_file(dir.file("t.tsv"), data);
  const auto from_file = run_fenlei("test '" + model_ + "' '" + dir.file("t.tsv") + "' --json");
  const auto from_stdin = run_fenlei("test '" + model_ + "' --json", data);
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, from_file.out);
  const auto j = nlohmann::json::parse(from_stdin.out);
  EXPECT_TRUE(j.contains("macro_precision") && j.contains("weighted_recall")) << from_stdin.out;

  const auto at1 =
      nlohmann::json::parse(run_fenlei("test '" + model_ + "' --json --k 1", data).out);
  EXPECT_DOUBLE_EQ(at1["precision_at_k"].get<double>(), j["accuracy"].get<double>());
  EXPECT_DOUBLE_EQ(at1["recall_at_k"].get<double>(), j["accuracy"].get<double>());
  const auto at2 =
      nlohmann::json::parse(run_fenlei("test '" + model_ + "' --json --k 2", data).out);
  EXPECT_DOUBLE_EQ(at2["recall_at_k"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(at2["precision_at_k"].get<double>(), 0.5);
  // A threshold above every probability predicts nothing: P@k 0 (no labels), R@k 0.
  const auto none = run_fenlei("test '" + model_ + "' --k 1 --threshold 1", data);
  EXPECT_NE(none.out.find("P@1\t0.0000\nR@1\t0.0000"), std::string::npos) << none.out;
  const auto table = run_fenlei("test '" + model_ + "' --per-class", data);
  EXPECT_NE(table.out.find("macro avg"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("weighted avg"), std::string::npos) << table.out;
}

TEST_F(TrainedModel, CorruptModelsGiveOneClearLine) {
  const std::string bytes = read_text_file(model_);
  TempDir dir;
  write_text_file(dir.file("truncated.fenlei"), bytes.substr(0, bytes.size() / 2));
  std::string flipped = bytes;
  flipped[bytes.size() / 3] ^= 0x40;
  write_text_file(dir.file("flipped.fenlei"), flipped);
  write_text_file(dir.file("text.fenlei"), "label\ttext\n");
  for (const char* name : {"truncated.fenlei", "flipped.fenlei", "text.fenlei", "missing.fenlei"}) {
    const auto r = run_fenlei("predict '" + dir.file(name) + "'", "好\n");
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_NE(r.err.find("error:"), std::string::npos) << name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// The fasttext preset reads Chinese as characters and space-delimited text as words (a letter
// says nothing about an English review), decided from the training texts and recorded in the
// model; an explicit --tokenizer still wins.
TEST(TrainCli, FasttextTokenizerFollowsTheScriptOfTheData) {
  TempDir dir;
  std::string en = "label\ttext\n", zh = "label\ttext\n";
  for (int i = 0; i < 20; ++i) {
    en += "pos\ta truly wonderful , funny film\nneg\ta dull and tedious mess of a film\n";
    zh += "pos\t房间很干净，服务也好\nneg\t太吵了，不会再来\n";
  }
  write_text_file(dir.file("en.tsv"), en);
  write_text_file(dir.file("zh.tsv"), zh);
  auto tokenizer_of = [&](const std::string& data, const std::string& extra) {
    const std::string model = dir.file("m.fenlei");
    const auto r = run_fenlei("train -i '" + dir.file(data) + "' -o '" + model +
                              "' --model fasttext --epochs 1 --threads 1 --checkpoint none -q " +
                              extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto info = nlohmann::json::parse(run_fenlei("info '" + model + "' --json").out);
    return info["tokenizer"].get<std::string>();
  };
  EXPECT_EQ(tokenizer_of("en.tsv", ""), "word");
  EXPECT_EQ(tokenizer_of("zh.tsv", ""), "char");
  EXPECT_EQ(tokenizer_of("en.tsv", "--tokenizer char"), "char");
  EXPECT_EQ(tokenizer_of("zh.tsv", "--tokenizer word"), "word");
}

TEST(TrainCli, SeededSingleThreadRunsAreByteIdentical) {
  TempDir dir;
  const std::string common = "train --input '" + example_path("reviews_train.tsv") +
                             "' --epochs 2 --threads 1 --checkpoint none -q";
  ASSERT_EQ(run_fenlei(common + " --seed 7 -o '" + dir.file("a.fenlei") + "'").exit_code, 0);
  ASSERT_EQ(run_fenlei(common + " --seed 7 -o '" + dir.file("b.fenlei") + "'").exit_code, 0);
  const std::string a = read_text_file(dir.file("a.fenlei"));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, read_text_file(dir.file("b.fenlei")));
  // A different seed gives a different model.
  ASSERT_EQ(run_fenlei(common + " --seed 8 -o '" + dir.file("c.fenlei") + "'").exit_code, 0);
  EXPECT_NE(a, read_text_file(dir.file("c.fenlei")));
}

TEST(TrainCli, ResumeContinuesExactly) {
  TempDir dir;
  const std::string common = "train --input '" + example_path("reviews_train.tsv") +
                             "' --threads 1 --seed 5 -q";
  ASSERT_EQ(run_fenlei(common + " --epochs 4 --checkpoint none -o '" + dir.file("full.fenlei") + "'")
                .exit_code,
            0);
  // Interrupted after 2 epochs (simulated by --epochs 2 keeping its checkpoint), then resumed
  // to 4.
  ASSERT_EQ(run_fenlei(common + " --epochs 2 --keep-checkpoint --checkpoint '" + dir.file("run.ckpt") + "' -o '" +
                       dir.file("part.fenlei") + "'")
                .exit_code,
            0);
  const auto r = run_fenlei(common + " --epochs 4 --resume '" + dir.file("run.ckpt") +
                            "' --checkpoint none -o '" + dir.file("resumed.fenlei") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text_file(dir.file("full.fenlei")), read_text_file(dir.file("resumed.fenlei")));
}

TEST(TrainCli, CheckpointIsRemovedAfterSuccessUnlessKept) {
  TempDir dir;
  const std::string common = "train --input '" + example_path("reviews_train.tsv") +
                             "' --epochs 2 --threads 1 --seed 5 -q";
  ASSERT_EQ(run_fenlei(common + " -o '" + dir.file("a.fenlei") + "'").exit_code, 0);
  EXPECT_FALSE(read_text_file(dir.file("a.fenlei")).empty());
  EXPECT_FALSE(std::ifstream(dir.file("a.fenlei.ckpt")).good());
  ASSERT_EQ(run_fenlei(common + " --keep-checkpoint -o '" + dir.file("b.fenlei") + "'").exit_code,
            0);
  EXPECT_TRUE(std::ifstream(dir.file("b.fenlei.ckpt")).good());
}

TEST(TrainCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_fenlei("train --no-such-flag").exit_code, 2);
  EXPECT_EQ(run_fenlei("train --input x.tsv").exit_code, 2);  // --output missing
  EXPECT_EQ(run_fenlei("nosuchcommand").exit_code, 2);
  const auto help = run_fenlei("train --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--batch-size"), std::string::npos);
}

TEST(TrainCli, DataErrorsAreClear) {
  TempDir dir;
  write_text_file(dir.file("one.tsv"), "label\ttext\npos\t好\npos\t很好\npos\t非常好\n");
  auto r = run_fenlei("train --input '" + dir.file("one.tsv") + "' -o '" + dir.file("m") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("class"), std::string::npos) << r.err;
  write_text_file(dir.file("nolabel.tsv"), "category\ttext\npos\t好\n");
  r = run_fenlei("train --input '" + dir.file("nolabel.tsv") + "' -o '" + dir.file("m") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("label"), std::string::npos) << r.err;
  r = run_fenlei("train --input '" + dir.file("missing.tsv") + "' -o '" + dir.file("m") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.file("m")));
}

}  // namespace
}  // namespace fenlei::testing
