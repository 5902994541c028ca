// Entry points of the dataset readers: format selection, BOM and UTF-8 policy, dispatch.
#include <algorithm>
#include <cctype>

#include "data/label_check.h"
#include "data/parse_context.h"
#include "base/file_util.h"
#include "text/utf8.h"

namespace fenlei::data {

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
}  // namespace

StatusOr<DataFormat> parse_data_format(const std::string& name) {
  const std::string n = lower(name);
  if (n == "auto") return DataFormat::kAuto;
  if (n == "tsv") return DataFormat::kTsv;
  if (n == "csv") return DataFormat::kCsv;
  if (n == "jsonl" || n == "json") return DataFormat::kJsonl;
  if (n == "fasttext" || n == "ft" || n == "txt") return DataFormat::kFastText;
  return invalid_argument_error("unknown data format '" + name +
                                "' (expected auto, tsv, csv, jsonl or fasttext)");
}

const char* data_format_name(DataFormat format) {
  switch (format) {
    case DataFormat::kAuto: return "auto";
    case DataFormat::kTsv: return "tsv";
    case DataFormat::kCsv: return "csv";
    case DataFormat::kJsonl: return "jsonl";
    case DataFormat::kFastText: return "fasttext";
  }
  return "unknown";
}

StatusOr<DataFormat> format_from_path(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return invalid_argument_error(path + ": cannot tell the data format without a file extension; "
                                  "pass --format tsv|csv|jsonl|fasttext");
  }
  const std::string ext = lower(path.substr(dot + 1));
  if (ext == "tsv") return DataFormat::kTsv;
  if (ext == "csv") return DataFormat::kCsv;
  if (ext == "jsonl" || ext == "json") return DataFormat::kJsonl;
  if (ext == "txt" || ext == "ft") return DataFormat::kFastText;
  return invalid_argument_error(path + ": unknown data file extension '." + ext +
                                "'; pass --format tsv|csv|jsonl|fasttext");
}

StatusOr<Dataset> parse_dataset(std::string_view content, DataFormat format,
                                const ReadOptions& options, const std::string& name_for_errors) {
  if (format == DataFormat::kAuto) {
    FENLEI_ASSIGN_OR_RETURN(format, format_from_path(name_for_errors));
  }
  if (options.text_column == options.label_column) {
    return invalid_argument_error("the text and label columns must differ (both are '" +
                                  options.text_column + "')");
  }
  size_t bom = 0;
  if (content.substr(0, 3) == "\xEF\xBB\xBF") {
    bom = 3;
    content.remove_prefix(3);
  }
  if (internal::trim_ascii(content).empty()) {
    return invalid_argument_error(name_for_errors + ": empty file");
  }
  // Replacing up front keeps the parsers simple; U+FFFD never swallows an ASCII byte, so line
  // and field structure is unchanged.
  std::string replaced;
  if (options.replace_invalid_utf8 && !utf8::is_valid(content)) {
    replaced = utf8::replace_invalid(content);
    content = replaced;
  }
  internal::ParseContext ctx(content, bom, options, name_for_errors);
  switch (format) {
    case DataFormat::kTsv: FENLEI_RETURN_IF_ERROR(internal::parse_tsv(ctx)); break;
    case DataFormat::kCsv: FENLEI_RETURN_IF_ERROR(internal::parse_csv(ctx)); break;
    case DataFormat::kJsonl: FENLEI_RETURN_IF_ERROR(internal::parse_jsonl(ctx)); break;
    case DataFormat::kFastText: FENLEI_RETURN_IF_ERROR(internal::parse_fasttext(ctx)); break;
    case DataFormat::kAuto: return internal_error("unreachable: format still auto");
  }
  FENLEI_ASSIGN_OR_RETURN(Dataset dataset, ctx.finish());
  internal::check_labels(name_for_errors, options, &dataset);
  return dataset;
}

StatusOr<Dataset> dataset_from_texts(std::vector<std::string> texts, std::vector<std::string> labels,
                                     const ReadOptions& options, const std::string& name) {
  if (texts.size() != labels.size()) {
    return invalid_argument_error(name + ": " + std::to_string(texts.size()) + " texts but " +
                                  std::to_string(labels.size()) + " labels");
  }
  if (texts.empty()) return invalid_argument_error(name + ": no examples");
  Dataset dataset;
  dataset.examples.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string where = name + " example " + std::to_string(i);
    FENLEI_RETURN_IF_ERROR(utf8::validate(texts[i], where + " text"));
    FENLEI_RETURN_IF_ERROR(utf8::validate(labels[i], where + " label"));
    const std::string_view label = internal::trim_ascii(labels[i]);
    if (label.empty()) return invalid_argument_error(where + ": empty label");
    dataset.examples.push_back(Example{std::move(texts[i]), std::string(label)});
  }
  internal::check_labels(name, options, &dataset);
  return dataset;
}

StatusOr<Dataset> read_dataset(const std::string& path, const ReadOptions& options) {
  DataFormat format = options.format;
  // Check the extension before reading a possibly large file.
  if (format == DataFormat::kAuto) {
    FENLEI_ASSIGN_OR_RETURN(format, format_from_path(path));
  }
  FENLEI_ASSIGN_OR_RETURN(const std::string content, read_file(path));
  return parse_dataset(content, format, options, path);
}

}  // namespace fenlei::data
