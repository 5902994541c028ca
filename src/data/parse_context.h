// Internal to the dataset readers: the state shared by every format parser (bad-row policy,
// UTF-8 checks with file:line:column messages, line splitting). Not part of the public API.
#pragma once

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace fenlei::data::internal {

// Splits content into lines on '\n', dropping a '\r' before it. Numbers lines from first_line.
class LineReader {
 public:
  LineReader(std::string_view content, size_t first_line = 1) : s_(content), line_(first_line) {}
  // Fills the next line (without its end); false at the end of the content.
  bool next(std::string_view* line, size_t* begin, size_t* number) {
    if (pos_ >= s_.size()) return false;
    const void* nl = std::memchr(s_.data() + pos_, '\n', s_.size() - pos_);
    const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - s_.data()) : s_.size();
    size_t stop = end;
    if (stop > pos_ && s_[stop - 1] == '\r') --stop;
    *line = s_.substr(pos_, stop - pos_);
    *begin = pos_;
    *number = line_++;
    pos_ = end + 1;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  size_t line_;
};

// True if s holds only ASCII spaces, tabs and '\r'.
bool is_blank(std::string_view s);
std::string_view trim_ascii(std::string_view s);

class ParseContext {
 public:
  // content: the file without its BOM; bom_bytes: how many bytes were removed (for file offsets).
  ParseContext(std::string_view content, size_t bom_bytes, const ReadOptions& options,
               const std::string& name)
      : content_(content), bom_bytes_(bom_bytes), options_(options), name_(name) {}

  std::string_view content() const { return content_; }
  const ReadOptions& options() const { return options_; }
  const std::string& name() const { return name_; }
  std::string where(size_t line) const { return name_ + ":" + std::to_string(line); }

  // "" if content[begin, end) is valid UTF-8, else a message naming the line (first_line is the
  // line at `begin`), the 1-based byte column and the file offset of the first invalid byte.
  std::string utf8_error(size_t begin, size_t end, size_t first_line) const;
  // As utf8_error, but records a bad row; true if the bytes are valid.
  bool check_utf8(size_t begin, size_t end, size_t first_line);

  // Adds an example (label trimmed; an empty label makes the row bad).
  void add(std::string_view text, std::string_view label, size_t line);
  // Adds an example with several labels (each trimmed; the first is Example::label, repeats are
  // dropped; an empty one makes the row bad).
  void add(std::string_view text, const std::vector<std::string_view>& labels, size_t line);
  // Records a bad row "name:line: what".
  void bad_row(size_t line, const std::string& what);

  // Applies the bad-row policy: INVALID_ARGUMENT with the first message if rows were bad and
  // skip_bad_rows is off, or if no example survived.
  StatusOr<Dataset> finish();

 private:
  std::string_view content_;
  size_t bom_bytes_;
  const ReadOptions& options_;
  const std::string& name_;
  Dataset dataset_;
  std::string first_error_;
};

// Per-format parsers; each fills ctx and returns a Status only for errors that end the read
// (missing header column, unterminated CSV quote).
Status parse_tsv(ParseContext& ctx);
Status parse_csv(ParseContext& ctx);
Status parse_jsonl(ParseContext& ctx);
Status parse_fasttext(ParseContext& ctx);

}  // namespace fenlei::data::internal
