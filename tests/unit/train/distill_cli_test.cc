// `fenlei distill`: the help teaches the method, a run writes a student that `fenlei info`
// shows as distilled, and bad flags fail with one line naming the flag.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"

namespace fenlei::train {
namespace {

using fenlei::testing::run_fenlei;

class DistillCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(fenlei::testing::fenlei_binary())) {
      GTEST_SKIP() << "fenlei binary not built";
    }
    data_ = std::string(FENLEI_SOURCE_DIR) + "/examples/reviews_train.tsv";
    teacher_ = dir_.file("teacher.fenlei");
    auto r = run_fenlei("train -i '" + data_ + "' -o '" + teacher_ +
                        "' --tokenizer char --epochs 1 --threads 1 --checkpoint none -q");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string distill(const std::string& flags) {
    return "distill --teacher '" + teacher_ + "' -i '" + data_ + "' -o '" + dir_.file("s.fenlei") +
           "' --tokenizer char --epochs 1 --threads 1 --checkpoint none -q " + flags;
  }
  fenlei::testing::TempDir dir_;
  std::string data_, teacher_;
};

TEST_F(DistillCli, HelpTeachesTheMethod) {
  auto r = run_fenlei("distill --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"--teacher", "--student", "--temperature", "--alpha", "--unlabeled",
                           "T^2", "ensemble", "--lr", "--valid"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  EXPECT_EQ(r.out.find("--mpi"), std::string::npos);
}

TEST_F(DistillCli, WritesADistilledStudent) {
  auto r = run_fenlei(distill("--student fasttext --temperature 3 --alpha 0.7"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto info = run_fenlei("info --json '" + dir_.file("s.fenlei") + "'");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const auto j = nlohmann::json::parse(info.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << info.out;
  EXPECT_NE(info.out.find("\"distillation\""), std::string::npos);
  EXPECT_NE(info.out.find("fasttext"), std::string::npos);
}

TEST_F(DistillCli, BadFlagsFailWithOneLine) {
  for (const std::string& flags : {std::string("--alpha 2"), std::string("--temperature -1")}) {
    auto r = run_fenlei(distill(flags));
    EXPECT_EQ(r.exit_code, 1) << flags;
    EXPECT_NE(r.err.find("fenlei distill: error: --"), std::string::npos) << r.err;
  }
  auto missing = run_fenlei("distill --teacher '" + dir_.file("none.fenlei") + "' -i '" + data_ +
                            "' -o '" + dir_.file("s.fenlei") + "'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("none.fenlei"), std::string::npos) << missing.err;
}

// Any model can teach: an imported transformer (the test fixture) and its int8 quantisation,
// together as an ensemble, through the same Engine interface as a cnn.
TEST(DistillCliTransformer, AnImportedTransformerAndItsInt8CopyTeachTogether) {
  if (!std::filesystem::exists(fenlei::testing::fenlei_binary())) GTEST_SKIP();
  fenlei::testing::TempDir dir;
  const std::string bert = dir.file("bert.fenlei"), int8 = dir.file("bert8.fenlei");
  auto r = run_fenlei("import '" + std::string(FENLEI_TEST_DATA_DIR) + "/hf/bert' -o '" + bert +
                      "' -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_fenlei("quantize '" + bert + "' -o '" + int8 + "' -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string texts =
      fenlei::testing::read_text_file(std::string(FENLEI_TEST_DATA_DIR) + "/compat/texts.txt");
  std::string tsv = "label\ttext\n";
  const char* labels[] = {"neg", "neu", "pos"};
  size_t n = 0, pos = 0;
  while (pos < texts.size()) {
    size_t end = texts.find('\n', pos);
    if (end == std::string::npos) end = texts.size();
    if (end > pos) tsv += std::string(labels[n++ % 3]) + "\t" + texts.substr(pos, end - pos) + "\n";
    pos = end + 1;
  }
  fenlei::testing::write_text_file(dir.file("train.tsv"), tsv);
  r = run_fenlei("distill --teacher '" + bert + "' --teacher '" + int8 + "' -i '" +
                 dir.file("train.tsv") + "' --valid '" + dir.file("train.tsv") + "' -o '" +
                 dir.file("s.fenlei") +
                 "' --student fasttext --tokenizer char --epochs 1 --threads 1 --checkpoint none -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto info = run_fenlei("info --json '" + dir.file("s.fenlei") + "'");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("bert8.fenlei"), std::string::npos);
}

}  // namespace
}  // namespace fenlei::train
