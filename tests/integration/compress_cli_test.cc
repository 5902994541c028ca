// End to end through the real `fenlei` binary on examples/: quantize, then test/predict/info on
// the int8 model; finetune; pretrained vectors; and the bad inputs of the compression commands
// (clear error, exit 1, no output file left behind).
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "trained_sample_model.h"

namespace fenlei {
namespace {

using testing::example_path;
using testing::run_fenlei;
using testing::TempDir;

class CompressCli : public testing::TrainedSampleModel<CompressCli> {};

TEST_F(CompressCli, QuantizedModelTestsPredictsAndReportsInt8) {
  const std::string q = dir_->file("q.fenlei");
  auto r = run_fenlei("quantize '" + model_ + "' -o '" + q + "' --calibration '" +
                      example_path("reviews_test.tsv") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("size\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("accuracy\t"), std::string::npos) << r.out;
  EXPECT_LT(std::filesystem::file_size(q) * 3, std::filesystem::file_size(model_));

  auto info = run_fenlei("info '" + q + "'");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("int8"), std::string::npos) << info.out;
  auto info_json = run_fenlei("info --json '" + q + "'");
  ASSERT_EQ(info_json.exit_code, 0) << info_json.err;
  EXPECT_EQ(nlohmann::json::parse(info_json.out)["precision"], "int8") << info_json.out;
  const auto meta = nlohmann::json::parse(info_json.out)["metadata"];
  ASSERT_TRUE(meta.contains("quantization")) << info_json.out;
  EXPECT_EQ(meta["quantization"]["int8_bytes"].get<uint64_t>(), std::filesystem::file_size(q));
  EXPECT_EQ(meta["quantization"]["float_bytes"].get<uint64_t>(),
            std::filesystem::file_size(model_));
  EXPECT_TRUE(meta["quantization"].contains("int8_accuracy"));

  auto tf = run_fenlei("test '" + model_ + "' '" + example_path("reviews_test.tsv") + "' --json");
  auto tq = run_fenlei("test '" + q + "' '" + example_path("reviews_test.tsv") + "' --json");
  ASSERT_EQ(tq.exit_code, 0) << tq.err;
  const auto jf = nlohmann::json::parse(tf.out), jq = nlohmann::json::parse(tq.out);
  EXPECT_NEAR(jq["accuracy"].get<double>(), jf["accuracy"].get<double>(), 0.02);

  auto p = run_fenlei("predict '" + q + "'", "房间很干净，服务也好\n太吵了，不会再来\n");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("pos"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("neg"), std::string::npos) << p.out;

  // Quantising an int8 model, or fine-tuning one, is refused.
  auto again = run_fenlei("quantize '" + q + "' -o '" + dir_->file("qq.fenlei") + "'");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already int8"), std::string::npos) << again.err;
  EXPECT_FALSE(std::filesystem::exists(dir_->file("qq.fenlei")));
  auto ft = run_fenlei("finetune '" + q + "' -i '" + example_path("reviews_test.tsv") + "' -o '" +
                       dir_->file("ft.fenlei") + "'");
  EXPECT_EQ(ft.exit_code, 1);
  EXPECT_NE(ft.err.find("int8 model"), std::string::npos) << ft.err;
  EXPECT_FALSE(std::filesystem::exists(dir_->file("ft.fenlei")));
}

TEST_F(CompressCli, CalibrationWithUnknownLabelIsAnError) {
  const std::string data = dir_->file("cal.tsv");
  testing::write_text_file(data, "label\ttext\nmaybe\t还行\n");
  const std::string out = dir_->file("q_bad.fenlei");
  auto r = run_fenlei("quantize '" + model_ + "' -o '" + out + "' --calibration '" + data + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("maybe"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  auto missing = run_fenlei("quantize '" + dir_->file("nope.fenlei") + "' -o '" + out + "'");
  EXPECT_EQ(missing.exit_code, 1);
}

TEST_F(CompressCli, FinetuneRecordsLineageAndRejectsUnknownLabels) {
  const std::string out = dir_->file("ft.fenlei");
  auto r = run_fenlei("finetune '" + model_ + "' -i '" + example_path("reviews_test.tsv") + "' -o '" +
                      out + "' --epochs 1 --threads 1 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto info = run_fenlei("info '" + out + "'");
  EXPECT_NE(info.out.find("base_checksum"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("reviews_test.tsv"), std::string::npos) << info.out;

  const std::string data = dir_->file("newlabel.tsv");
  testing::write_text_file(data, "label\ttext\npos\t很好\nneg\t很差\nmeh\t一般\npos\t不错\n");
  const std::string bad = dir_->file("ft_bad.fenlei");
  auto e = run_fenlei("finetune '" + model_ + "' -i '" + data + "' -o '" + bad +
                      "' --valid '" + data + "' --threads 1");
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_NE(e.err.find("label 'meh'"), std::string::npos) << e.err;
  EXPECT_FALSE(std::filesystem::exists(bad));
  auto ok = run_fenlei("finetune '" + model_ + "' -i '" + data + "' -o '" + bad +
                       "' --valid '" + data + "' --threads 1 --allow-new-labels --epochs 1 -q");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto p = run_fenlei("predict '" + bad + "' -k 3", "一般\n");
  EXPECT_NE(p.out.find("meh"), std::string::npos) << p.out;
}

TEST_F(CompressCli, PretrainedVectorsErrorsNameTheLine) {
  const std::string vec = dir_->file("v.vec");
  testing::write_text_file(vec, "2 16\n酒店 " + std::string(16 * 2, ' ') + "\n");
  testing::write_text_file(vec, "2 16\n好 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                                "酒店 1 2 3 4 5 6 7 8 nan 10 11 12 13 14 15 16\n");
  const std::string out = dir_->file("pv.fenlei");
  auto r = run_fenlei("train -i '" + example_path("reviews_train.tsv") + "' -o '" + out +
                      "' --epochs 1 --threads 1 --checkpoint none --pretrained-vectors '" + vec +
                      "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("v.vec:3: value 9 'nan'"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  testing::write_text_file(vec, "1 16\n好 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
  auto ok = run_fenlei("train -i '" + example_path("reviews_train.tsv") + "' -o '" + out +
                       "' --epochs 1 --threads 1 --checkpoint none --freeze embedding "
                       "--pretrained-vectors '" + vec + "'");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.err.find("pretrained vectors: 1 of"), std::string::npos) << ok.err;
}

}  // namespace
}  // namespace fenlei
