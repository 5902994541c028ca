// fastText supervised format: "__label__a [__label__b ...] text" per line.
#include <algorithm>
#include <vector>

#include "data/parse_context.h"

namespace fenlei::data::internal {
namespace {
constexpr std::string_view kLabelPrefix = "__label__";
bool is_space(char c) { return c == ' ' || c == '\t'; }
}  // namespace

Status parse_fasttext(ParseContext& ctx) {
  LineReader lines(ctx.content());
  std::string_view text;
  size_t begin = 0, line = 0;
  while (lines.next(&text, &begin, &line)) {
    if (is_blank(text)) continue;
    if (!ctx.check_utf8(begin, begin + text.size(), line)) continue;
    // Leading whitespace-separated tokens that start with __label__ are labels; the rest of the
    // line, from the first other token, is the text (its inner spacing kept as written).
    std::string_view rest = text;
    std::vector<std::string_view> labels;
    while (true) {
      size_t i = 0;
      while (i < rest.size() && is_space(rest[i])) ++i;
      rest.remove_prefix(i);
      if (rest.substr(0, kLabelPrefix.size()) != kLabelPrefix) break;
      size_t e = 0;
      while (e < rest.size() && !is_space(rest[e])) ++e;
      labels.push_back(rest.substr(kLabelPrefix.size(), e - kLabelPrefix.size()));
      rest.remove_prefix(e);
    }
    if (labels.empty()) {
      ctx.bad_row(line, "no label: fastText rows start with __label__<name>");
      continue;
    }
    if (std::find(labels.begin(), labels.end(), std::string_view()) != labels.end()) {
      ctx.bad_row(line, "empty label (\"__label__\" with no name)");
      continue;
    }
    while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
    ctx.add(rest, labels, line);
  }
  return Status();
}

}  // namespace fenlei::data::internal
