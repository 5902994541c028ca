// The CLI's file guarantees through the real binary (docs/reliability.md): no command overwrites
// one of its inputs, an unwritable output fails before any work, and a failed write to standard
// output is never exit 0.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "test_util.h"
#include "trained_sample_model.h"

namespace fenlei {
namespace {

using testing::CommandResult;
using testing::example_path;
using testing::read_text_file;
using testing::run_command;
using testing::run_fenlei;
using testing::write_text_file;

std::string q(const std::string& s) { return "'" + s + "'"; }

class FilesCli : public testing::TrainedSampleModel<FilesCli> {
 protected:
  void SetUp() override {
    data_ = dir_->file("d.tsv");
    write_text_file(data_, read_text_file(example_path("reviews_train.tsv")));
    original_ = read_text_file(data_);
  }
  void TearDown() override { std::filesystem::remove(data_); }
  // The command failed, said why, and left the data as it was.
  void expect_refused(const CommandResult& r, const std::string& why) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("epoch 1/"), std::string::npos) << "trained first:\n" << r.err;
    EXPECT_EQ(read_text_file(data_), original_);
  }
  std::string data_, original_;
};

TEST_F(FilesCli, TrainRefusesAnOutputThatIsAnInput) {
  const std::string train = "train --epochs 1 --threads 1 -q --checkpoint none ";
  expect_refused(run_fenlei(train + "--input " + q(data_) + " --output " + q(data_)),
                 "would destroy the input");
  // Through a symlink, as --valid, as a dictionary, and as the checkpoint or --log.
  const std::string link = dir_->file("link.tsv");
  std::filesystem::remove(link);
  std::filesystem::create_symlink(data_, link);
  expect_refused(run_fenlei(train + "--input " + q(link) + " --output " + q(data_)),
                 "would destroy the input");
  expect_refused(run_fenlei(train + "--input " + q(example_path("reviews_train.tsv")) +
                            " --valid " + q(data_) + " --output " + q(link)),
                 "would destroy the input");
  expect_refused(run_fenlei(train + "--input " + q(example_path("reviews_train.tsv")) +
                            " --user-dict " + q(data_) + " --output " + q(data_)),
                 "would destroy the input");
  expect_refused(run_fenlei("train --epochs 1 --threads 1 -q --input " + q(data_) + " --output " +
                            q(dir_->file("x.fenlei")) + " --checkpoint " + q(data_)),
                 "would destroy the input");
  expect_refused(run_fenlei(train + "--input " + q(data_) + " --output " +
                            q(dir_->file("x.fenlei")) + " --log " + q(data_)),
                 "would destroy the input");
  EXPECT_FALSE(std::filesystem::exists(dir_->file("x.fenlei")));
}

TEST_F(FilesCli, RetrainingCommandsRefuseToOverwriteTheirModelOrData) {
  const std::string copy = dir_->file("copy.fenlei");
  std::filesystem::copy_file(model_, copy, std::filesystem::copy_options::overwrite_existing);
  const std::string model_bytes = read_text_file(copy);
  for (const std::string& cmd :
       {"finetune " + q(copy) + " -i " + q(data_) + " -o " + q(copy) + " --epochs 1 -q",
        "prune " + q(copy) + " --sparsity 0.5 --train " + q(data_) + " -o " + q(copy) + " -q",
        "quantize " + q(copy) + " -o " + q(copy)}) {
    SCOPED_TRACE(cmd);
    expect_refused(run_fenlei(cmd), "would destroy the input");
    EXPECT_EQ(read_text_file(copy), model_bytes);
  }
  for (const std::string& cmd :
       {"finetune " + q(copy) + " -i " + q(data_) + " -o " + q(data_) + " --epochs 1 -q",
        "prune " + q(copy) + " --sparsity 0.5 --train " + q(data_) + " -o " + q(data_) + " -q",
        "quantize " + q(copy) + " --calibration " + q(data_) + " -o " + q(data_)}) {
    SCOPED_TRACE(cmd);
    expect_refused(run_fenlei(cmd), "would destroy the input");
  }
}

TEST_F(FilesCli, AnUnwritableOutputFailsBeforeTheFirstEpoch) {
  const std::string nowhere = dir_->file("no/such/dir/m.fenlei");
  for (const std::string& cmd :
       {"train -i " + q(data_) + " -o " + q(nowhere) + " --epochs 50 --threads 1",
        "finetune " + q(model_) + " -i " + q(data_) + " -o " + q(nowhere) + " --epochs 50",
        "prune " + q(model_) + " --sparsity 0.5 --train " + q(data_) + " -o " + q(nowhere) +
            " --epochs 50",
        "quantize " + q(model_) + " -o " + q(nowhere),
        "train -i " + q(data_) + " -o " + q(dir_->file("m2.fenlei")) + " --epochs 50 --log " +
            q(nowhere),
        "train -i " + q(data_) + " -o " + q(dir_->file("m2.fenlei")) + " --epochs 50 --checkpoint " +
            q(nowhere),
        "train -i " + q(data_) + " -o " + q(dir_->path()) + " --epochs 50"}) {
    SCOPED_TRACE(cmd);
    const auto r = run_fenlei(cmd);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(r.err.find("does not exist") != std::string::npos ||
                r.err.find("is a directory") != std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("epoch 1/"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("vocabulary"), std::string::npos) << "read the data first:\n" << r.err;
  }
}

TEST_F(FilesCli, WritingToAFullDeviceFails) {
  std::string texts;
  for (int i = 0; i < 3000; ++i) texts += "房间很干净，服务也好\n";
  write_text_file(dir_->file("texts.txt"), texts);
  for (const std::string& cmd :
       {"predict " + q(model_) + " " + q(dir_->file("texts.txt")),
        "predict " + q(model_) + " --json " + q(dir_->file("texts.txt")),
        "explain " + q(model_) + " " + q(dir_->file("texts.txt")),
        "test " + q(model_) + " " + q(example_path("reviews_test.tsv")), "info " + q(model_),
        "info --json " + q(model_), std::string("--help"), std::string("--version")}) {
    SCOPED_TRACE(cmd);
    const auto r = run_command(testing::fenlei_binary() + " " + cmd + " >/dev/full");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("standard output"), std::string::npos) << r.err;
  }
}

TEST_F(FilesCli, AFailedLogWriteFailsTheRun) {
  const auto r = run_fenlei("train -i " + q(data_) + " -o " + q(dir_->file("logged.fenlei")) +
                            " --model fasttext --epochs 1 --threads 1 --checkpoint none -q "
                            "--log /dev/full");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("writing the --log file /dev/full failed"), std::string::npos) << r.err;
}

TEST_F(FilesCli, LabelMistakesAreWarnedAboutAndNormalizeLabelsMergesThem) {
  // Every fifth "pos" spelled "Pos", and the header repeated in the middle (concatenated files).
  std::istringstream in(original_);
  std::string line, messy;
  for (int i = 0; std::getline(in, line); ++i) {
    if (i > 0 && i % 5 == 0 && line.rfind("pos\t", 0) == 0) line = "P" + line.substr(1);
    messy += line + "\n";
    if (i == 100) messy += "label\ttext\n";
  }
  write_text_file(dir_->file("messy.tsv"), messy);
  const std::string train = "train -i " + q(dir_->file("messy.tsv")) + " --epochs 1 --threads 1 "
                            "--checkpoint none --log-level warning -o ";
  auto r = run_fenlei(train + q(dir_->file("apart.fenlei")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("labels 'Pos', 'pos' differ only in case"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("messy.tsv:102: this row repeats the header"), std::string::npos) << r.err;

  r = run_fenlei(train + q(dir_->file("merged.fenlei")) + " --normalize-labels");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("differ only in case"), std::string::npos) << r.err;
  const auto info = run_fenlei("info " + q(dir_->file("merged.fenlei")));
  EXPECT_NE(info.out.find("labels          3: label neg pos"), std::string::npos) << info.out;
  const auto t = run_fenlei("test " + q(dir_->file("merged.fenlei")) + " " +
                            q(dir_->file("messy.tsv")) + " --normalize-labels");
  EXPECT_EQ(t.exit_code, 0) << t.err;
}

TEST_F(FilesCli, PredictStopsAtTheFirstFailedWriteWithSigpipeIgnored) {
  // The last line is invalid UTF-8: a predict that kept classifying after its reader left would
  // reach it and report that instead of the failed write.
  std::string texts;
  for (int i = 0; i < 5000; ++i) texts += "房间很干净，服务也好\n";
  texts += "\xff\n";
  write_text_file(dir_->file("texts.txt"), texts);
  const auto r = run_command("bash -c \"trap '' PIPE; '" + testing::fenlei_binary() +
                             "' predict " + q(model_) + " " + q(dir_->file("texts.txt")) +
                             " | head -n 1 >/dev/null; exit \\${PIPESTATUS[0]}\"");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot write to standard output"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("UTF-8"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fenlei
