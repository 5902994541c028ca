// Label mistakes a reader used to accept silently: a repeated header row, and labels that differ
// only in case or Unicode normalisation (warned about; merged with normalize_labels).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/label_check.h"
#include "data/dataset.h"
#include "fenlei/log.h"

namespace fenlei::data {
namespace {

using ::testing::HasSubstr;

struct Read {
  Dataset dataset;
  std::string warnings;
};

Read read_tsv(const std::string& content, bool normalize = false) {
  ReadOptions o;
  o.format = DataFormat::kTsv;
  o.normalize_labels = normalize;
  const LogLevel old = log_level();
  set_log_level(LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  auto d = parse_dataset(content, DataFormat::kTsv, o, "d.tsv");
  Read r{d.ok() ? std::move(*d) : Dataset(), ::testing::internal::GetCapturedStderr()};
  set_log_level(old);
  EXPECT_TRUE(d.ok()) << d.status().to_string();
  return r;
}

std::vector<std::string> labels_of(const Dataset& d) {
  std::vector<std::string> out;
  for (const auto& e : d.examples) out.push_back(e.label);
  return out;
}

TEST(LabelCheckTest, ARepeatedHeaderRowIsWarnedAboutWithItsLine) {
  const Read r = read_tsv("label\ttext\npos\tgood\nneg\tbad\nlabel\ttext\npos\tnice\nlabel\ttext\n");
  EXPECT_EQ(r.dataset.repeated_header_rows, 2u);
  EXPECT_EQ(r.dataset.first_repeated_header_line, 4u);
  EXPECT_THAT(r.warnings, HasSubstr("d.tsv:4: this row repeats the header"));
  EXPECT_THAT(r.warnings, HasSubstr("1 more rows"));
  const Read clean = read_tsv("label\ttext\npos\tgood\nneg\tbad\n");
  EXPECT_EQ(clean.dataset.repeated_header_rows, 0u);
  EXPECT_EQ(clean.warnings, "");
}

TEST(LabelCheckTest, LabelsDifferingOnlyInCaseOrUnicodeFormAreWarnedAbout) {
  // "Pos"/"pos"/full-width "ｐｏｓ"; "é" composed (U+00E9) and decomposed (e + U+0301).
  const std::string content =
      "label\ttext\npos\ta\nPos\tb\n\xEF\xBD\x90\xEF\xBD\x8F\xEF\xBD\x93\tc\nneg\td\n"
      "caf\xC3\xA9\te\ncafe\xCC\x81\tf\n";
  const Read r = read_tsv(content);
  EXPECT_EQ(labels_of(r.dataset).size(), 6u);
  EXPECT_THAT(r.warnings, HasSubstr("labels 'Pos', 'pos', 'ｐｏｓ' differ only in case or Unicode"));
  EXPECT_THAT(r.warnings, HasSubstr("--normalize-labels"));
  EXPECT_THAT(r.warnings, HasSubstr("'café'"));
  const auto groups = internal::confusable_label_groups(r.dataset);
  ASSERT_EQ(groups.size(), 2u);

  const Read merged = read_tsv(content, /*normalize=*/true);
  EXPECT_EQ(labels_of(merged.dataset),
            (std::vector<std::string>{"pos", "pos", "pos", "neg", "caf\xC3\xA9", "caf\xC3\xA9"}));
  EXPECT_THAT(merged.warnings, HasSubstr("merged into 'pos'"));
  EXPECT_EQ(merged.warnings.find("warning"), std::string::npos) << merged.warnings;
}

TEST(LabelCheckTest, DistinctLabelsAreLeftAlone) {
  const Read r = read_tsv("label\ttext\n正面\ta\n负面\tb\nPOS\tc\nNEG\td\n");
  EXPECT_EQ(r.warnings, "");
  EXPECT_EQ(internal::label_key("POS"), "pos");
  EXPECT_EQ(internal::label_key("正面"), "正面");
}

}  // namespace
}  // namespace fenlei::data
