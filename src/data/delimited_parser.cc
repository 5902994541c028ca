// TSV and CSV readers: a header row naming the columns, then one example per row.
#include <algorithm>
#include <cstring>
#include <vector>

#include "data/parse_context.h"

namespace fenlei::data::internal {
namespace {

// Finds the text and label columns in a header; the error lists the columns the file has.
Status find_columns(const ParseContext& ctx, const std::vector<std::string>& header, size_t line,
                    size_t* text_col, size_t* label_col) {
  const auto& o = ctx.options();
  auto find = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  *text_col = find(o.text_column);
  *label_col = find(o.label_column);
  if (*text_col < header.size() && *label_col < header.size()) return Status();
  std::string have;
  for (const auto& h : header) have += (have.empty() ? "'" : ", '") + h + "'";
  std::string missing, flag;
  if (*label_col >= header.size()) {
    missing = "'" + o.label_column + "'";
    flag = "--label-column";
  }
  if (*text_col >= header.size()) {
    missing += std::string(missing.empty() ? "" : " and ") + "'" + o.text_column + "'";
    flag += std::string(flag.empty() ? "" : "/") + "--text-column";
  }
  return invalid_argument_error(ctx.where(line) + ": the header has no " + missing +
                                " column (columns: " + have + "); name the columns with " + flag +
                                " or add a header row");
}

// Reads CSV records (RFC 4180) one at a time.
class CsvScanner {
 public:
  enum class Result { kEnd, kRecord, kBadRecord };

  explicit CsvScanner(const ParseContext& ctx) : ctx_(ctx), s_(ctx.content()) {}

  // Reads the next record into fields. record_line: the line it starts on; [begin, end): its
  // bytes. kBadRecord: *problem says what is wrong (the rest of that line is skipped).
  // A Status error (unterminated quote) ends the read.
  Result next(std::vector<std::string>* fields, size_t* record_line, size_t* begin, size_t* end,
              std::string* problem, Status* fatal) {
    const size_t n = s_.size();
    if (pos_ >= n) return Result::kEnd;
    *record_line = line_;
    *begin = pos_;
    fields->clear();
    while (true) {
      fields->emplace_back();
      std::string& f = fields->back();
      if (pos_ < n && s_[pos_] == '"') {
        const size_t open_line = line_;
        ++pos_;
        while (true) {
          const void* q = std::memchr(s_.data() + pos_, '"', n - pos_);
          if (q == nullptr) {
            *fatal = invalid_argument_error(
                ctx_.where(open_line) +
                ": unterminated quoted field (no closing '\"' before the end of the file)");
            return Result::kEnd;
          }
          const size_t qi = static_cast<size_t>(static_cast<const char*>(q) - s_.data());
          f.append(s_.data() + pos_, qi - pos_);
          line_ += static_cast<size_t>(std::count(s_.begin() + pos_, s_.begin() + qi, '\n'));
          if (qi + 1 < n && s_[qi + 1] == '"') {  // "" is an escaped quote
            f.push_back('"');
            pos_ = qi + 2;
            continue;
          }
          pos_ = qi + 1;
          break;
        }
        if (pos_ < n && s_[pos_] == '\r' && (pos_ + 1 == n || s_[pos_ + 1] == '\n')) ++pos_;
        if (pos_ < n && s_[pos_] != ',' && s_[pos_] != '\n') {
          *problem =
              "unexpected character after a closing quote (write a quote inside a quoted field "
              "as \"\")";
          skip_rest_of_line(end);
          return Result::kBadRecord;
        }
      } else {
        // Unquoted field. A stray quote inside it is kept literally, as Python's csv module does.
        size_t e = pos_;
        while (e < n && s_[e] != ',' && s_[e] != '\n') ++e;
        size_t stop = e;
        if (stop > pos_ && s_[stop - 1] == '\r' && (e == n || s_[e] == '\n')) --stop;
        f.assign(s_.data() + pos_, stop - pos_);
        pos_ = e;
      }
      if (pos_ < n && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      *end = pos_;
      if (pos_ < n) {  // the '\n'
        ++pos_;
        ++line_;
      }
      return Result::kRecord;
    }
  }

 private:
  void skip_rest_of_line(size_t* end) {
    const void* nl = std::memchr(s_.data() + pos_, '\n', s_.size() - pos_);
    if (nl == nullptr) {
      pos_ = *end = s_.size();
      return;
    }
    *end = static_cast<size_t>(static_cast<const char*>(nl) - s_.data());
    pos_ = *end + 1;
    ++line_;
  }

  const ParseContext& ctx_;
  std::string_view s_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

bool is_blank_record(const std::vector<std::string>& fields) {
  return fields.size() == 1 && is_blank(fields[0]);
}

}  // namespace

Status parse_csv(ParseContext& ctx) {
  CsvScanner scanner(ctx);
  std::vector<std::string> fields;
  std::string problem;
  Status fatal;
  size_t line = 0, begin = 0, end = 0;
  size_t text_col = 0, label_col = 0, n_cols = 0;
  bool have_header = false;
  while (true) {
    const auto r = scanner.next(&fields, &line, &begin, &end, &problem, &fatal);
    FENLEI_RETURN_IF_ERROR(fatal);
    if (r == CsvScanner::Result::kEnd) break;
    if (!have_header) {
      if (r == CsvScanner::Result::kBadRecord)
        return invalid_argument_error(ctx.where(line) + ": bad header row: " + problem);
      if (is_blank_record(fields)) continue;
      std::string bad = ctx.utf8_error(begin, end, line);
      if (!bad.empty()) return invalid_argument_error(bad);
      for (auto& f : fields) f = std::string(trim_ascii(f));
      FENLEI_RETURN_IF_ERROR(find_columns(ctx, fields, line, &text_col, &label_col));
      n_cols = fields.size();
      have_header = true;
      continue;
    }
    if (r == CsvScanner::Result::kBadRecord) {
      ctx.bad_row(line, problem);
      continue;
    }
    if (is_blank_record(fields)) continue;
    if (!ctx.check_utf8(begin, end, line)) continue;
    if (fields.size() != n_cols) {
      ctx.bad_row(line, "expected " + std::to_string(n_cols) + " comma-separated fields, found " +
                            std::to_string(fields.size()) + " (quote fields that contain commas)");
      continue;
    }
    ctx.add(fields[text_col], fields[label_col], line);
  }
  if (!have_header) return invalid_argument_error(ctx.name() + ": empty file (no header row)");
  return Status();
}

Status parse_tsv(ParseContext& ctx) {
  LineReader lines(ctx.content());
  std::string_view text;
  size_t begin = 0, line = 0;
  size_t text_col = 0, label_col = 0, n_cols = 0;
  bool have_header = false;
  std::vector<std::string_view> fields;
  auto split = [&fields](std::string_view s) {
    fields.clear();
    size_t start = 0;
    while (true) {
      const size_t tab = s.find('\t', start);
      if (tab == std::string_view::npos) {
        fields.push_back(s.substr(start));
        return;
      }
      fields.push_back(s.substr(start, tab - start));
      start = tab + 1;
    }
  };
  while (lines.next(&text, &begin, &line)) {
    if (is_blank(text)) continue;
    if (!have_header) {
      std::string bad = ctx.utf8_error(begin, begin + text.size(), line);
      if (!bad.empty()) return invalid_argument_error(bad);
      split(text);
      std::vector<std::string> header;
      for (auto f : fields) header.emplace_back(trim_ascii(f));
      FENLEI_RETURN_IF_ERROR(find_columns(ctx, header, line, &text_col, &label_col));
      n_cols = header.size();
      have_header = true;
      continue;
    }
    if (!ctx.check_utf8(begin, begin + text.size(), line)) continue;
    split(text);
    if (fields.size() != n_cols) {
      ctx.bad_row(line, "expected " + std::to_string(n_cols) + " tab-separated fields, found " +
                            std::to_string(fields.size()) +
                            (fields.size() > n_cols ? " (a tab inside the text?)" : ""));
      continue;
    }
    ctx.add(fields[text_col], fields[label_col], line);
  }
  if (!have_header) return invalid_argument_error(ctx.name() + ": empty file (no header row)");
  return Status();
}

}  // namespace fenlei::data::internal
