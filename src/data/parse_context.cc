#include "data/parse_context.h"

#include <algorithm>
#include <cstdio>

#include "text/utf8.h"

namespace fenlei::data::internal {

bool is_blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

std::string_view trim_ascii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string ParseContext::utf8_error(size_t begin, size_t end, size_t first_line) const {
  const size_t bad = utf8::find_invalid(content_.substr(begin, end - begin));
  if (bad == std::string_view::npos) return {};
  const size_t offset = begin + bad;
  // Find the line and column of the byte (a CSV record can span lines).
  size_t line = first_line, line_start = begin;
  for (size_t i = begin; i < offset; ++i) {
    if (content_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%02X", static_cast<unsigned char>(content_[offset]));
  return where(line) + ": invalid UTF-8 (byte " + hex + ") at column " +
         std::to_string(offset - line_start + 1) + ", file offset " +
         std::to_string(offset + bom_bytes_) +
         "; re-encode the file as UTF-8 or use --replace-invalid-utf8";
}

bool ParseContext::check_utf8(size_t begin, size_t end, size_t first_line) {
  std::string message = utf8_error(begin, end, first_line);
  if (message.empty()) return true;
  ++dataset_.bad_rows;
  if (dataset_.bad_row_messages.size() < kMaxBadRowMessages)
    dataset_.bad_row_messages.push_back(message);
  if (first_error_.empty()) first_error_ = std::move(message);
  return false;
}

void ParseContext::bad_row(size_t line, const std::string& what) {
  std::string message = where(line) + ": " + what;
  ++dataset_.bad_rows;
  if (dataset_.bad_row_messages.size() < kMaxBadRowMessages)
    dataset_.bad_row_messages.push_back(message);
  if (first_error_.empty()) first_error_ = std::move(message);
}

void ParseContext::add(std::string_view text, std::string_view label, size_t line) {
  label = trim_ascii(label);
  if (label.empty()) {
    bad_row(line, "empty label");
    return;
  }
  if (label == options_.label_column && trim_ascii(text) == options_.text_column) {
    if (dataset_.repeated_header_rows++ == 0) dataset_.first_repeated_header_line = line;
  }
  dataset_.examples.push_back(Example{std::string(text), std::string(label)});
}

void ParseContext::add(std::string_view text, const std::vector<std::string_view>& labels,
                       size_t line) {
  Example e{std::string(text), {}, {}};
  for (std::string_view raw : labels) {
    const std::string_view label = trim_ascii(raw);
    if (label.empty()) {
      bad_row(line, "empty label");
      return;
    }
    if (e.label.empty()) {
      e.label = label;
    } else if (label != e.label &&
               std::find(e.more_labels.begin(), e.more_labels.end(), label) == e.more_labels.end()) {
      e.more_labels.emplace_back(label);
    }
  }
  if (e.label.empty()) {
    bad_row(line, "no label");
    return;
  }
  if (!e.more_labels.empty()) ++dataset_.rows_with_extra_labels;
  dataset_.examples.push_back(std::move(e));
}

StatusOr<Dataset> ParseContext::finish() {
  const size_t bad = dataset_.bad_rows;
  if (bad > 0 && !options_.skip_bad_rows) {
    std::string more = bad > 1 ? " (" + std::to_string(bad) + " bad rows in all)" : "";
    return invalid_argument_error(first_error_ + more +
                                  "; fix the file or pass --skip-bad-rows to skip bad rows");
  }
  if (dataset_.examples.empty()) {
    if (bad > 0) {
      return invalid_argument_error(name_ + ": no valid rows (" + std::to_string(bad) +
                                    " bad rows skipped; first: " + first_error_ + ")");
    }
    return invalid_argument_error(name_ + ": no examples (the file has no data rows)");
  }
  return std::move(dataset_);
}

}  // namespace fenlei::data::internal
