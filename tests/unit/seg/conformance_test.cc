// Conformance with jieba 0.42.1: every golden line in shared/segmentation must match exactly.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "seg_test_util.h"
#include "test_util.h"

namespace fenlei::seg {
namespace {

using testing::default_segmenter;

struct Result {
  size_t lines = 0;
  size_t mismatches = 0;
  std::string first_few;
};

// mode_override: empty = take the mode from each line's "mode" field (jieba_nohmm.jsonl).
Result check_file(const std::string& name, CutMode mode, bool hmm, bool per_line_mode) {
  const Segmenter& seg = default_segmenter();
  std::ifstream in(fenlei::testing::shared_dir() + "/segmentation/" + name, std::ios::binary);
  Result r;
  if (!in) {
    r.mismatches = 1;
    r.first_few = "cannot open " + name;
    return r;
  }
  std::string line;
  std::vector<std::string_view> views;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++r.lines;
    const auto obj = nlohmann::json::parse(line);
    const std::string text = obj.at("text").get<std::string>();
    const auto want = obj.at("tokens").get<std::vector<std::string>>();
    CutMode m = mode;
    bool h = hmm;
    if (per_line_mode) {
      const std::string mode_name = obj.at("mode").get<std::string>();
      m = mode_name == "cut_all" ? CutMode::kFull
                                 : mode_name == "search" ? CutMode::kSearch : CutMode::kDefault;
      h = obj.at("hmm").get<bool>();
    }
    const std::vector<std::string> got = seg.cut(text, m, h);
    // The view API must agree with the string API.
    seg.cut(text, m, h, &views);
    bool same_views = views.size() == got.size();
    for (size_t i = 0; same_views && i < got.size(); ++i) same_views = views[i] == got[i];
    if (got != want || !same_views) {
      if (++r.mismatches <= 5) {
        r.first_few += "\n  line " + std::to_string(r.lines) + ": " + nlohmann::json(text).dump() +
                       "\n    want " + nlohmann::json(want).dump() + "\n    got  " +
                       nlohmann::json(got).dump() + (same_views ? "" : " (views differ)");
      }
    }
  }
  return r;
}

void expect_conforms(const std::string& name, CutMode mode, bool hmm, size_t min_lines,
                     bool per_line_mode = false) {
  const Result r = check_file(name, mode, hmm, per_line_mode);
  EXPECT_GE(r.lines, min_lines) << name;
  EXPECT_EQ(r.mismatches, 0u) << name << ": " << r.mismatches << " of " << r.lines
                              << " lines differ; first ones:" << r.first_few;
}

TEST(JiebaConformance, DefaultMode) {
  expect_conforms("jieba_default.jsonl", CutMode::kDefault, true, 18280);
}
TEST(JiebaConformance, FullMode) {
  expect_conforms("jieba_cut_all.jsonl", CutMode::kFull, true, 2400);
}
TEST(JiebaConformance, SearchMode) {
  expect_conforms("jieba_search.jsonl", CutMode::kSearch, true, 2400);
}
TEST(JiebaConformance, NoHmmAllModes) {
  expect_conforms("jieba_nohmm.jsonl", CutMode::kDefault, false, 1200, /*per_line_mode=*/true);
}

}  // namespace
}  // namespace fenlei::seg
