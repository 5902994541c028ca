// JSON Lines reader: one {"text": ..., "label": ...} object per line.
#include <nlohmann/json.hpp>

#include "data/parse_context.h"

namespace fenlei::data::internal {

Status parse_jsonl(ParseContext& ctx) {
  const auto& o = ctx.options();
  LineReader lines(ctx.content());
  std::string_view text;
  size_t begin = 0, line = 0;
  while (lines.next(&text, &begin, &line)) {
    if (is_blank(text)) continue;
    if (!ctx.check_utf8(begin, begin + text.size(), line)) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {
      // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ...";
      // keep the part from "column" on, since the line number is ours.
      std::string what = e.what();
      const size_t col = what.find("column");
      ctx.bad_row(line, "invalid JSON: " + (col == std::string::npos ? what : what.substr(col)));
      continue;
    }
    if (!j.is_object()) {
      ctx.bad_row(line, std::string("expected a JSON object, got ") + j.type_name());
      continue;
    }
    const auto t = j.find(o.text_column);
    if (t == j.end() || !t->is_string()) {
      ctx.bad_row(line, t == j.end() ? "no \"" + o.text_column + "\" key"
                                     : "\"" + o.text_column + "\" must be a string, got " +
                                           t->type_name());
      continue;
    }
    const auto l = j.find(o.label_column);
    if (l == j.end() || l->is_null()) {
      ctx.bad_row(line, "missing label (no \"" + o.label_column + "\" key)");
      continue;
    }
    // A string, a number (1 -> "1", 2.5 -> "2.5") or a non-empty array of them (several labels).
    std::vector<std::string> labels;
    bool ok = true;
    auto take = [&](const nlohmann::json& v) {
      if (v.is_string()) labels.push_back(v.get<std::string>());
      else if (v.is_number()) labels.push_back(v.dump());
      else ok = false;
    };
    if (l->is_array()) {
      for (const auto& v : *l) take(v);
      if (labels.empty()) ok = false;
    } else {
      take(*l);
    }
    if (!ok) {
      ctx.bad_row(line, "\"" + o.label_column +
                            "\" must be a string, a number or a non-empty array of them, got " +
                            l->dump());
      continue;
    }
    std::vector<std::string_view> views(labels.begin(), labels.end());
    ctx.add(t->get_ref<const std::string&>(), views, line);
  }
  return Status();
}

}  // namespace fenlei::data::internal
