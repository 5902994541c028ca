// The most confident mistakes, each word coloured by its explain weight.
#include "report/report_sections.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "report/charts.h"
#include "report/html_escape.h"
#include "report/section_util.h"

namespace fenlei::report {
namespace {

bool is_word_char(unsigned char c) { return c < 0x80 && std::isalnum(c); }

// The tokens in text order, each coloured by its weight: blue for evidence for the label,
// red against, intensity relative to the text's heaviest token.
std::string coloured_tokens(const Explanation& e) {
  float heaviest = 1e-6f;
  for (const auto& t : e.tokens) heaviest = std::max(heaviest, std::fabs(t.weight));
  std::string out;
  for (size_t i = 0; i < e.tokens.size(); ++i) {
    const auto& t = e.tokens[i];
    // Word tokenizers drop spaces: put one back between two Latin words.
    if (i > 0 && !t.token.empty() && !e.tokens[i - 1].token.empty() &&
        is_word_char(static_cast<unsigned char>(e.tokens[i - 1].token.back())) &&
        is_word_char(static_cast<unsigned char>(t.token.front()))) {
      out += ' ';
    }
    const double share = t.weight / heaviest;
    const std::string color = blend_from_white(share >= 0 ? colors::kBlue : colors::kVermillion,
                                               0.85 * std::fabs(share));
    out += "<span class=\"tok" + std::string(t.known ? "" : " unk") + "\" style=\"background:" + color +
           (std::fabs(share) > 0.6 ? ";color:#fff" : "") + "\" title=\"" +
           escape_html((t.weight >= 0 ? "+" : "") + format_number(t.weight, 3) +
                       (t.known ? "" : " (not in the vocabulary)")) +
           "\">" + escape_html(t.token) + "</span>";
  }
  if (e.truncated) out += " <span class=\"muted\">… (the model reads no further)</span>";
  return out;
}

}  // namespace


std::string worst_examples_section(const ReportData& data) {
  if (!data.has_test) return {};
  const auto& labels = data.info.labels;
  if (data.test.worst.empty()) {
    return section("mistakes", "Mistakes", "<p class=\"note\">Every test text is classified correctly.</p>");
  }
  std::string body =
      "<p class=\"note\">The " + std::to_string(data.test.worst.size()) +
      " most confident mistakes (lowest probability of the true label). Words are coloured by how "
      "much the predicted label's probability drops without them (<code>fenlei explain</code>): "
      "<span class=\"scale\"></span> red against, blue for the predicted label. Hover a word for its "
      "weight; dotted words are not in the vocabulary.</p>";
  for (const auto& w : data.test.worst) {
    body += "<div class=\"example\"><div class=\"meta\"><span class=\"pill truth\">true: " +
            escape_html(labels[static_cast<size_t>(w.truth)]) + " " + format_number(w.truth_probability, 2) +
            "</span> <span class=\"pill pred\">predicted: " +
            escape_html(labels[static_cast<size_t>(w.predicted)]) + " " +
            format_number(w.predicted_probability, 2) + "</span></div><div class=\"text\">" +
            coloured_tokens(w.explanation) + "</div></div>";
  }
  return section("mistakes", "Mistakes", body);
}


}  // namespace fenlei::report
