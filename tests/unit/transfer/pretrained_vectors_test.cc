// .vec reading: alignment to the vocabulary, coverage, and every malformed-input error.
#include "train/pretrained_vectors.h"

#include <gtest/gtest.h>

#include <sstream>

namespace fenlei::train {
namespace {

vocab::Vocabulary small_vocab() {
  auto v = vocab::Vocabulary::from_tokens({"<pad>", "<unk>", "酒店", "干净", "吵"});
  EXPECT_TRUE(v.ok());
  return std::move(*v);
}

StatusOr<VectorCoverage> run(const std::string& text, int dim, std::vector<float>* table) {
  std::istringstream in(text);
  table->assign(5 * size_t(dim), -9.0f);
  return apply_pretrained_vectors(in, "v.vec", small_vocab(), dim, table->data());
}

TEST(PretrainedVectors, AlignsToVocabularyAndReportsCoverage) {
  std::vector<float> t;
  // fastText writes a trailing space; unknown words are skipped; the first of a repeat wins.
  auto cov = run("4 2\n酒店 0.5 -1 \nfoo 1 1\n吵 2 3\n酒店 9 9\n", 2, &t);
  ASSERT_TRUE(cov.ok()) << cov.status().message();
  EXPECT_EQ(cov->file_words, 4u);
  EXPECT_EQ(cov->matched, 2u);
  EXPECT_EQ(cov->vocabulary, 3u);
  EXPECT_FLOAT_EQ(t[2 * 2], 0.5f);
  EXPECT_FLOAT_EQ(t[2 * 2 + 1], -1.0f);
  EXPECT_FLOAT_EQ(t[4 * 2 + 1], 3.0f);
  EXPECT_FLOAT_EQ(t[3 * 2], -9.0f);  // 干净 had no vector: untouched
  EXPECT_FLOAT_EQ(t[0], -9.0f);      // <pad> never overwritten
}

void expect_error(const std::string& text, int dim, const std::string& fragment) {
  std::vector<float> t;
  auto r = run(text, dim, &t);
  ASSERT_FALSE(r.ok()) << "accepted: " << text;
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(PretrainedVectors, ClearErrorsWithLineNumbers) {
  expect_error("", 2, "empty vectors file");
  expect_error("酒店 1 2\n", 2, "v.vec:1: expected a header");
  expect_error("1 3\n酒店 1 2 3\n", 2, "v.vec:1: the vectors have dimension 3");
  expect_error("2 2\n酒店 1 2\n吵 1\n", 2, "v.vec:3: expected a word and 2 values, found 1");
  expect_error("2 2\n酒店 1 2\n吵 1", 2, "truncated last line");
  expect_error("2 2\n酒店 nan 2\n吵 1 1\n", 2, "v.vec:2: value 1 'nan' is not a finite number");
  expect_error("1 2\n酒店 inf 2\n", 2, "not a finite number");
  expect_error("1 2\n酒店 1x 2\n", 2, "'1x'");
  expect_error("3 2\n酒店 1 2\n吵 1 1\n", 2, "promises 3 vectors but the file has 2");
  expect_error("1 2\n酒店 1 2\n吵 1 1\n", 2, "more vectors than the header's 1");
}

}  // namespace
}  // namespace fenlei::train
