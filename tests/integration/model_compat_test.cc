// Format compatibility: the v1 model files checked in under tests/data/compat (made by fenlei
// 0.1.0; see its README) must load with this build, report format v1, and predict what the
// build that wrote them predicted — same labels, probabilities within float rounding.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fenlei {
namespace {

using testing::run_fenlei;
using testing::test_data_dir;

struct Line {
  std::string label1, label2;
  double p1 = 0, p2 = 0;
};

std::vector<Line> parse_predictions(const std::string& text) {
  std::vector<Line> lines;
  std::istringstream in(text);
  std::string row;
  while (std::getline(in, row)) {
    std::istringstream fields(row);
    Line l;
    std::string p1, p2;
    std::getline(fields, l.label1, '\t');
    std::getline(fields, p1, '\t');
    std::getline(fields, l.label2, '\t');
    std::getline(fields, p2, '\t');
    l.p1 = std::stod(p1);
    l.p2 = std::stod(p2);
    lines.push_back(l);
  }
  return lines;
}

class ModelCompat : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelCompat, V1FileLoadsAndPredictsAsWhenItWasWritten) {
  const std::string dir = test_data_dir() + "/compat/";
  const std::string model = dir + GetParam() + ".fenlei";
  const auto info = run_fenlei("info --json '" + model + "'");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j.at("format_version").get<int>(), 1) << info.out;

  const auto r = run_fenlei("predict '" + model + "' '" + dir + "texts.txt' --k 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<Line> got = parse_predictions(r.out);
  const std::vector<Line> want =
      parse_predictions(testing::read_text_file(dir + GetParam() + ".expected.tsv"));
  ASSERT_EQ(got.size(), 40u);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].p1, want[i].p1, 1e-4) << "text " << i + 1;
    EXPECT_NEAR(got[i].p2, want[i].p2, 1e-4) << "text " << i + 1;
    // A near-tie may swap order under rounding; otherwise the labels must match.
    if (std::abs(want[i].p1 - want[i].p2) > 1e-4) {
      EXPECT_EQ(got[i].label1, want[i].label1) << "text " << i + 1;
      EXPECT_EQ(got[i].label2, want[i].label2) << "text " << i + 1;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelCompat,
                         ::testing::Values("v1-seed-cnn-char", "v1-seed-cnn-char.int8",
                                           "v1-textcnn-word", "v1-fasttext", "v1-bert.bf16",
                                           "v1-gru-char.int8"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string name = p.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// `fenlei info` on the fixtures: what it printed when it counted the file's tensors itself (before
// ModelInfo had them), now from the loader, plus the bytes and the precision key.
TEST(ModelCompatInfo, InfoShowsPrecisionAndTensorDtypesAsBefore) {
  struct Case {
    std::string file, precision, tensors_line;
    nlohmann::json dtypes, dtype_bytes;
  };
  const std::vector<Case> cases = {
      {"v1-bert.bf16", "bf16", "tensors         41: 41 f32 (473868 bytes)\n", {{"f32", 41}},
       {{"f32", 473868}}},
      {"v1-fasttext", "float32", "tensors         4: 4 f32 (21832 bytes)\n", {{"f32", 4}},
       {{"f32", 21832}}},
      {"v1-seed-cnn-char.int8", "int8",
       "tensors         8: 5 f32 (1036 bytes), 3 i8 (13248 bytes)\n", {{"f32", 5}, {"i8", 3}},
       {{"f32", 1036}, {"i8", 13248}}}};
  for (const Case& c : cases) {
    const std::string model = test_data_dir() + "/compat/" + c.file + ".fenlei";
    const auto text = run_fenlei("info '" + model + "'");
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find(" (" + c.precision + "), "), std::string::npos) << text.out;
    EXPECT_NE(text.out.find(c.tensors_line), std::string::npos) << text.out;
    const auto json = run_fenlei("info --json '" + model + "'");
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const auto j = nlohmann::json::parse(json.out);
    EXPECT_EQ(j.at("precision"), c.precision) << c.file;
    EXPECT_EQ(j.at("quantized"), c.precision != "float32") << c.file;
    EXPECT_EQ(j.at("tensor_dtypes"), c.dtypes) << c.file;
    EXPECT_EQ(j.at("tensor_dtype_bytes"), c.dtype_bytes) << c.file;
  }
}

}  // namespace
}  // namespace fenlei
