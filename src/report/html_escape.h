// Escaping for the report's HTML and SVG. Every string that comes from data (labels, texts,
// tokens, file names, metadata) goes through escape_html before it reaches the page, so a label
// such as "<script>" or a text with a stray '&' is shown as written and never read as markup.
#pragma once

#include <string>
#include <string_view>

namespace fenlei::report {

// Escapes &, <, >, " and ' (safe in element content and in quoted attribute values) and replaces
// invalid UTF-8 with U+FFFD and control characters other than tab and newline with U+FFFD too
// (they are not allowed in XML, and inline SVG is parsed as such by some viewers).
std::string escape_html(std::string_view text);

// A number for people: `digits` significant digits, no exponent for ordinary magnitudes, no
// trailing zeros ("0.91", "1200", "3.5e-05").
std::string format_number(double value, int digits = 3);

// A coordinate for SVG: fixed-point with two decimals, "-0" avoided, NaN and infinities as 0
// (a chart must never contain "nan", which makes the whole SVG invalid).
std::string format_coord(double value);

}  // namespace fenlei::report
