// fastText supervised format: "__label__a [__label__b ...] text" per line.
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
    std::string_view rest = text, first_label;
    size_t n_labels = 0;
    while (true) {
      size_t i = 0;
      while (i < rest.size() && is_space(rest[i])) ++i;
      rest.remove_prefix(i);
      if (rest.substr(0, kLabelPrefix.size()) != kLabelPrefix) break;
      size_t e = 0;
      while (e < rest.size() && !is_space(rest[e])) ++e;
      if (n_labels++ == 0) first_label = rest.substr(kLabelPrefix.size(), e - kLabelPrefix.size());
      rest.remove_prefix(e);
    }
    if (n_labels == 0) {
      ctx.bad_row(line, "no label: fastText rows start with __label__<name>");
      continue;
    }
    if (first_label.empty()) {
      ctx.bad_row(line, "empty label (\"__label__\" with no name)");
      continue;
    }
    while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
    if (n_labels > 1) ctx.note_extra_labels();
    ctx.add(rest, first_label, line);
  }
  return Status();
}

}  // namespace fenlei::data::internal
