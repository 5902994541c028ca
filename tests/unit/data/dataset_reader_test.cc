#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <string>

#include "data/dataset.h"
#include "base/file_util.h"
#include "text/utf8.h"
#include "test_util.h"

namespace fenlei::data {
namespace {

using ::testing::HasSubstr;

StatusOr<Dataset> parse(const std::string& content, DataFormat format, ReadOptions o = {}) {
  return parse_dataset(content, format, o, "d.x");
}

Dataset parse_ok(const std::string& content, DataFormat format, ReadOptions o = {}) {
  auto r = parse(content, format, o);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : Dataset{};
}

std::string error_of(const std::string& content, DataFormat format, ReadOptions o = {}) {
  auto r = parse(content, format, o);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().to_string();
  return r.status().message();
}

// ---- TSV ----

TEST(Tsv, ReadsColumnsByHeaderName) {
  const Dataset d = parse_ok("label\ttext\npos\t好 评\nneg\t差评\n", DataFormat::kTsv);
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].label, "pos");
  EXPECT_EQ(d.examples[0].text, "好 评");
  EXPECT_EQ(d.examples[1].text, "差评");
  EXPECT_EQ(d.bad_rows, 0u);
  // Columns in another order, with extra columns and custom names.
  ReadOptions o;
  o.text_column = "title";
  o.label_column = "cat";
  const Dataset e = parse_ok("id\ttitle\tcat\n1\tA\tx\n2\tB\ty\n", DataFormat::kTsv, o);
  ASSERT_EQ(e.examples.size(), 2u);
  EXPECT_EQ(e.examples[1].text, "B");
  EXPECT_EQ(e.examples[1].label, "y");
}

TEST(Tsv, BomCrlfBlankLinesAndNoFinalNewline) {
  const Dataset d =
      parse_ok("\xEF\xBB\xBFlabel\ttext\r\npos\ta\r\n\r\nneg\tb", DataFormat::kTsv);
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].text, "a");  // no stray '\r'
  EXPECT_EQ(d.examples[1].text, "b");
  EXPECT_EQ(d.examples[1].label, "neg");
}

TEST(Tsv, EmptyTextIsKeptAndLabelIsTrimmed) {
  const Dataset d = parse_ok("label\ttext\n pos \t\nneg\tx\n", DataFormat::kTsv);
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].label, "pos");
  EXPECT_EQ(d.examples[0].text, "");
}

TEST(Tsv, WrongFieldCountNamesTheLine) {
  const std::string content = "label\ttext\npos\ta\nneg\tb\tc\nneg\n\tsome text\npos\tz\n";
  const std::string msg = error_of(content, DataFormat::kTsv);
  EXPECT_THAT(msg, HasSubstr("d.x:3: expected 2 tab-separated fields, found 3"));
  EXPECT_THAT(msg, HasSubstr("3 bad rows in all"));  // line 4 (1 field) and line 5 (empty label)
  ReadOptions skip;
  skip.skip_bad_rows = true;
  const Dataset d = parse_ok(content, DataFormat::kTsv, skip);
  EXPECT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.bad_rows, 3u);
  ASSERT_EQ(d.bad_row_messages.size(), 3u);
  EXPECT_THAT(d.bad_row_messages[1], HasSubstr("d.x:4: expected 2"));
  EXPECT_THAT(d.bad_row_messages[2], HasSubstr("d.x:5: empty label"));
}

TEST(Tsv, KeepsOnlyTheFirstFewBadRowMessages) {
  std::string content = "label\ttext\npos\tok\n";
  for (int i = 0; i < 25; ++i) content += "broken\n";
  ReadOptions skip;
  skip.skip_bad_rows = true;
  const Dataset d = parse_ok(content, DataFormat::kTsv, skip);
  EXPECT_EQ(d.bad_rows, 25u);
  EXPECT_EQ(d.bad_row_messages.size(), kMaxBadRowMessages);
}

TEST(Tsv, MissingColumnListsTheColumnsItHas) {
  const std::string msg = error_of("category\ttext\npos\ta\n", DataFormat::kTsv);
  EXPECT_THAT(msg, HasSubstr("d.x:1: the header has no 'label' column"));
  EXPECT_THAT(msg, HasSubstr("columns: 'category', 'text'"));
  EXPECT_THAT(msg, HasSubstr("--label-column"));
  const std::string both = error_of("a\tb\n1\t2\n", DataFormat::kTsv);
  EXPECT_THAT(both, HasSubstr("no 'label' and 'text' column"));
}

TEST(Tsv, EmptyFileAndHeaderOnly) {
  EXPECT_THAT(error_of("", DataFormat::kTsv), HasSubstr("d.x: empty file"));
  EXPECT_THAT(error_of("\xEF\xBB\xBF \n\n", DataFormat::kTsv), HasSubstr("empty file"));
  EXPECT_THAT(error_of("label\ttext\n", DataFormat::kTsv), HasSubstr("no examples"));
}

TEST(Tsv, InvalidUtf8ReportsLineColumnAndFileOffset) {
  // Line 3 is "neg\tab\xFF": the bad byte is column 7; file offset = 11 + 8 + 6 = 25.
  const std::string content = "label\ttext\npos\t好\nneg\tab\xFF\n";
  const std::string msg = error_of(content, DataFormat::kTsv);
  EXPECT_THAT(msg, HasSubstr("d.x:3: invalid UTF-8 (byte 0xFF) at column 7, file offset 25"));
  // With a BOM, the file offset includes its 3 bytes while the column does not change.
  const std::string with_bom = error_of("\xEF\xBB\xBF" + content, DataFormat::kTsv);
  EXPECT_THAT(with_bom, HasSubstr("d.x:3: invalid UTF-8 (byte 0xFF) at column 7, file offset 28"));

  ReadOptions replace;
  replace.replace_invalid_utf8 = true;
  const Dataset d = parse_ok(content, DataFormat::kTsv, replace);
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[1].text, "ab\xEF\xBF\xBD");

  ReadOptions skip;
  skip.skip_bad_rows = true;
  const Dataset s = parse_ok(content, DataFormat::kTsv, skip);
  EXPECT_EQ(s.examples.size(), 1u);
  EXPECT_EQ(s.bad_rows, 1u);
}

TEST(Tsv, InvalidUtf8InHeaderIsFatal) {
  EXPECT_THAT(error_of("lab\xC3\tel\ttext\npos\ta\n", DataFormat::kTsv), HasSubstr("d.x:1: invalid UTF-8"));
}

TEST(Tsv, SameTextAndLabelColumnIsRejected) {
  ReadOptions o;
  o.label_column = "text";
  EXPECT_THAT(error_of("text\nx\n", DataFormat::kTsv, o), HasSubstr("must differ"));
}

// ---- CSV ----

TEST(Csv, QuotedFieldsWithCommasEscapedQuotesAndNewlines) {
  const std::string content =
      "text,label\n"
      "\"hello, world\",greet\n"
      "\"she said \"\"hi\"\"\",quote\n"
      "\"line one\nline two\",multi\n"
      "plain,\"lab\"\n"
      "\"\",empty\n";
  const Dataset d = parse_ok(content, DataFormat::kCsv);
  ASSERT_EQ(d.examples.size(), 5u);
  EXPECT_EQ(d.examples[0].text, "hello, world");
  EXPECT_EQ(d.examples[1].text, "she said \"hi\"");
  EXPECT_EQ(d.examples[2].text, "line one\nline two");
  EXPECT_EQ(d.examples[2].label, "multi");
  EXPECT_EQ(d.examples[3].label, "lab");
  EXPECT_EQ(d.examples[4].text, "");
}

TEST(Csv, LineNumbersCountNewlinesInsideQuotes) {
  // The bad row starts on line 4 because the record on line 2 spans two lines.
  const std::string content = "text,label\n\"a\nb\",x\nc,y\nd,e,f\n";
  EXPECT_THAT(error_of(content, DataFormat::kCsv),
              HasSubstr("d.x:5: expected 2 comma-separated fields, found 3"));
}

TEST(Csv, CrlfBomAndTrailingEmptyField) {
  const Dataset d = parse_ok("\xEF\xBB\xBFtext,label\r\n\"a,b\",x\r\nc,y\r\n\"q\"\r\n", DataFormat::kCsv,
                             [] {
                               ReadOptions o;
                               o.skip_bad_rows = true;
                               return o;
                             }());
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].text, "a,b");
  EXPECT_EQ(d.examples[0].label, "x");
  EXPECT_EQ(d.examples[1].label, "y");
  EXPECT_EQ(d.bad_rows, 1u);  // "q" has one field
  const Dataset e = parse_ok("label,text\nx,\n", DataFormat::kCsv);
  ASSERT_EQ(e.examples.size(), 1u);
  EXPECT_EQ(e.examples[0].text, "");
}

TEST(Csv, UnterminatedQuoteAtEofIsAnErrorWithItsLine) {
  ReadOptions skip;
  skip.skip_bad_rows = true;  // even when skipping: the quote swallowed the rest of the file
  const std::string msg = error_of("text,label\na,x\n\"never closed,y\nb,z\n", DataFormat::kCsv, skip);
  EXPECT_THAT(msg, HasSubstr("d.x:3: unterminated quoted field"));
}

TEST(Csv, GarbageAfterClosingQuoteIsABadRow) {
  const std::string content = "text,label\n\"a\"b,x\nc,y\n";
  EXPECT_THAT(error_of(content, DataFormat::kCsv), HasSubstr("d.x:2: unexpected character after a closing quote"));
  ReadOptions skip;
  skip.skip_bad_rows = true;
  const Dataset d = parse_ok(content, DataFormat::kCsv, skip);
  ASSERT_EQ(d.examples.size(), 1u);
  EXPECT_EQ(d.examples[0].text, "c");
}

TEST(Csv, InvalidUtf8InsideAMultiLineRecordNamesTheRightLine) {
  const std::string content = "text,label\n\"ok\nbad\xFE\",x\n";
  EXPECT_THAT(error_of(content, DataFormat::kCsv),
              HasSubstr("d.x:3: invalid UTF-8 (byte 0xFE) at column 4"));
}

TEST(Csv, MissingColumn) {
  EXPECT_THAT(error_of("sentence,label\na,b\n", DataFormat::kCsv),
              HasSubstr("no 'text' column (columns: 'sentence', 'label')"));
}

// ---- JSON Lines ----

TEST(Jsonl, StringAndNumberLabels) {
  const std::string content =
      "{\"text\": \"好评\", \"label\": \"pos\"}\n"
      "\n"
      "{\"label\": 3, \"text\": \"x\", \"extra\": [1,2]}\r\n"
      "{\"text\": \"y\", \"label\": 2.5}\n";
  const Dataset d = parse_ok(content, DataFormat::kJsonl);
  ASSERT_EQ(d.examples.size(), 3u);
  EXPECT_EQ(d.examples[0].text, "好评");
  EXPECT_EQ(d.examples[1].label, "3");
  EXPECT_EQ(d.examples[2].label, "2.5");
}

TEST(Jsonl, BrokenJsonAndBadFieldsAreBadRowsWithLines) {
  const std::string content =
      "{\"text\": \"a\", \"label\": \"x\"}\n"
      "{\"text\": \"b\", \"label\": \n"
      "[1, 2]\n"
      "{\"text\": \"c\"}\n"
      "{\"text\": 5, \"label\": \"x\"}\n"
      "{\"text\": \"d\", \"label\": true}\n"
      "{\"text\": \"e\", \"label\": null}\n"
      "{\"text\": \"f\", \"label\": \"y\"}\n";
  const std::string msg = error_of(content, DataFormat::kJsonl);
  EXPECT_THAT(msg, HasSubstr("d.x:2: invalid JSON: column"));
  EXPECT_THAT(msg, HasSubstr("6 bad rows in all"));
  ReadOptions skip;
  skip.skip_bad_rows = true;
  const Dataset d = parse_ok(content, DataFormat::kJsonl, skip);
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[1].label, "y");
  ASSERT_EQ(d.bad_row_messages.size(), 6u);
  EXPECT_THAT(d.bad_row_messages[1], HasSubstr("d.x:3: expected a JSON object, got array"));
  EXPECT_THAT(d.bad_row_messages[2], HasSubstr("d.x:4: missing label"));
  EXPECT_THAT(d.bad_row_messages[3], HasSubstr("d.x:5: \"text\" must be a string, got number"));
  EXPECT_THAT(d.bad_row_messages[4], HasSubstr("d.x:6: \"label\" must be a string, a number or a non-empty array"));
  EXPECT_THAT(d.bad_row_messages[5], HasSubstr("d.x:7: missing label"));
}

TEST(Jsonl, CustomKeys) {
  ReadOptions o;
  o.text_column = "content";
  o.label_column = "y";
  const Dataset d = parse_ok("{\"content\": \"a\", \"y\": \"b\"}\n", DataFormat::kJsonl, o);
  ASSERT_EQ(d.examples.size(), 1u);
  EXPECT_EQ(d.examples[0].text, "a");
}

// ---- fastText ----

TEST(FastText, LabelsAndText) {
  const std::string content =
      "__label__pos 这 家 酒店 很 好\n"
      "__label__neg\t__label__extra  太 吵 了 \r\n"
      "__label__neg\n"
      "no label here\n"
      "__label__ text\n";
  ReadOptions skip;
  skip.skip_bad_rows = true;
  const Dataset d = parse_ok(content, DataFormat::kFastText, skip);
  ASSERT_EQ(d.examples.size(), 3u);
  EXPECT_EQ(d.examples[0].label, "pos");
  EXPECT_EQ(d.examples[0].text, "这 家 酒店 很 好");
  EXPECT_EQ(d.examples[1].label, "neg");
  EXPECT_EQ(d.examples[1].more_labels, std::vector<std::string>{"extra"});
  EXPECT_EQ(d.examples[1].text, "太 吵 了");
  EXPECT_TRUE(d.examples[0].more_labels.empty());
  EXPECT_EQ(d.examples[2].text, "");
  EXPECT_EQ(d.rows_with_extra_labels, 1u);
  EXPECT_EQ(d.bad_rows, 2u);
  EXPECT_THAT(d.bad_row_messages[0], HasSubstr("d.x:4: no label"));
  EXPECT_THAT(d.bad_row_messages[1], HasSubstr("d.x:5: empty label"));
}

TEST(FastText, KeepsEveryLabelOfAMultiLabelRow) {
  const Dataset d = parse_ok(
      "__label__书籍 __label__正面 __label__书籍 好书\n__label__水果 __label__负面 不新鲜\n",
      DataFormat::kFastText, ReadOptions{});
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].label, "书籍");
  EXPECT_EQ(d.examples[0].more_labels, std::vector<std::string>{"正面"});  // repeat dropped
  EXPECT_TRUE(is_multi_label(d));
  EXPECT_EQ(sorted_labels(d), (std::vector<std::string>{"书籍", "正面", "水果", "负面"}));
  auto sets = label_sets(d, sorted_labels(d), "d");
  ASSERT_TRUE(sets.ok());
  EXPECT_EQ(sets->offsets, (std::vector<int32_t>{0, 2, 4}));
  EXPECT_EQ(sets->sets, (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(Jsonl, LabelArraysAreSeveralLabels) {
  const Dataset d = parse_ok(
      "{\"text\": \"a\", \"label\": [\"x\", 2]}\n{\"text\": \"b\", \"label\": \"y\"}\n",
      DataFormat::kJsonl, ReadOptions{});
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].label, "x");
  EXPECT_EQ(d.examples[0].more_labels, std::vector<std::string>{"2"});
  EXPECT_FALSE(parse_dataset("{\"text\": \"a\", \"label\": []}\n", DataFormat::kJsonl,
                             ReadOptions{}, "d.jsonl")
                   .ok());
}

// ---- formats and files ----

TEST(Formats, ParseNamesAndExtensions) {
  EXPECT_EQ(*parse_data_format("TSV"), DataFormat::kTsv);
  EXPECT_EQ(*parse_data_format("fasttext"), DataFormat::kFastText);
  EXPECT_EQ(*parse_data_format("jsonl"), DataFormat::kJsonl);
  EXPECT_EQ(*parse_data_format("auto"), DataFormat::kAuto);
  EXPECT_FALSE(parse_data_format("xml").ok());
  EXPECT_EQ(*format_from_path("a/b.CSV"), DataFormat::kCsv);
  EXPECT_EQ(*format_from_path("x.json"), DataFormat::kJsonl);
  EXPECT_EQ(*format_from_path("x.ft"), DataFormat::kFastText);
  EXPECT_EQ(*format_from_path("x.txt"), DataFormat::kFastText);
  EXPECT_THAT(format_from_path("dir.v2/data").status().message(), HasSubstr("without a file extension"));
  EXPECT_THAT(format_from_path("x.xlsx").status().message(), HasSubstr("'.xlsx'"));
  EXPECT_STREQ(data_format_name(DataFormat::kCsv), "csv");
}

TEST(Files, ReadsByExtensionAndReportsMissingFiles) {
  testing::TempDir dir;
  testing::write_text_file(dir.file("a.csv"), "text,label\n\"x,y\",1\nz,2\n");
  auto d = read_dataset(dir.file("a.csv"), {});
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->examples[0].text, "x,y");
  auto missing = read_dataset(dir.file("nope.tsv"), {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.tsv"));
  // An explicit format overrides the extension.
  testing::write_text_file(dir.file("data.dat"), "__label__a x\n");
  ReadOptions o;
  o.format = DataFormat::kFastText;
  EXPECT_TRUE(read_dataset(dir.file("data.dat"), o).ok());
  EXPECT_FALSE(read_dataset(dir.file("data.dat"), {}).ok());
}

TEST(Files, ThucnewsDevSet) {
  const std::string path = testing::shared_dir() + "/data/thucnews_titles/dev.tsv";
  if (!file_exists(path)) GTEST_SKIP() << path << " not available";
  auto d = read_dataset(path, {});
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->examples.size(), 2000u);
  EXPECT_EQ(d->bad_rows, 0u);
  EXPECT_EQ(sorted_labels(*d).size(), 10u);
  EXPECT_TRUE(check_trainable(*d).ok());
}

}  // namespace
}  // namespace fenlei::data

namespace fenlei::data {
namespace {

// Robustness: random inputs over the characters that matter to the parsers must give a Dataset or
// a clean error, never a crash, hang or an example with invalid UTF-8 (run under ASan/UBSan too).
TEST(Robustness, RandomInputsNeverCrash) {
  const std::string alphabet[] = {"\"", ",", "\t", "\n", "\r", "a", "\xFF", "\xE4\xB8", "\xAD",
                                  "{", "}", ":", "__label__", "text", "label", " ", "\xEF\xBB\xBF",
                                  "[", "1"};
  std::mt19937_64 rng(123);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string content;
    const size_t len = uniform_below(rng, 40);
    if (iter % 3 == 0) content = iter % 2 ? "text,label\n" : "label\ttext\n";
    for (size_t i = 0; i < len; ++i) content += alphabet[uniform_below(rng, std::size(alphabet))];
    for (DataFormat f : {DataFormat::kTsv, DataFormat::kCsv, DataFormat::kJsonl,
                         DataFormat::kFastText}) {
      ReadOptions o;
      o.skip_bad_rows = iter % 2 == 0;
      o.replace_invalid_utf8 = iter % 5 == 0;
      auto r = parse_dataset(content, f, o, "fuzz");
      if (!r.ok()) {
        EXPECT_FALSE(r.status().message().empty());
        continue;
      }
      for (const auto& e : r->examples) {
        ASSERT_TRUE(utf8::is_valid(e.text)) << "format " << data_format_name(f);
        ASSERT_TRUE(utf8::is_valid(e.label));
        ASSERT_FALSE(e.label.empty());
      }
    }
  }
}

}  // namespace
}  // namespace fenlei::data
