#include "report/section_util.h"

#include <cmath>
#include <numeric>

#include "report/analysis.h"
#include "report/html_escape.h"

namespace fenlei::report {

using Json = nlohmann::json;

nlohmann::json metadata(const ReportData& data) {
  Json meta = Json::parse(data.info.metadata_json, nullptr, false);
  return meta.is_object() ? meta : Json::object();
}

std::string section(const char* id, const char* title, const std::string& body) {
  return std::string("<section id=\"") + id + "\"><h2>" + title + "</h2>" + body + "</section>\n";
}

std::string figure(const std::string& svg, const std::string& caption) {
  return "<div class=\"figure\">" + svg +
         (caption.empty() ? "" : "<div class=\"caption\">" + escape_html(caption) + "</div>") + "</div>";
}

std::string stat(const std::string& value, const std::string& what) {
  return "<div class=\"stat\"><b>" + escape_html(value) + "</b><span>" + escape_html(what) +
         "</span></div>";
}

std::string json_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return format_number(v.get<double>(), 6);
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string card_row(const std::string& key, const std::string& value_html) {
  return "<tr><th>" + escape_html(key) + "</th><td>" + value_html + "</td></tr>";
}

std::string object_rows(const Json& obj) {
  std::string rows;
  if (!obj.is_object()) return rows;
  for (const auto& [k, v] : obj.items()) rows += card_row(k, escape_html(json_text(v)));
  return rows;
}

std::string percent(double v) { return format_number(v * 100, 3) + "%"; }

int64_t total(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

eval::Metrics test_metrics(const ReportData& data) {
  std::vector<int> predicted;
  predicted.reserve(data.test.probabilities.size());
  for (const auto& p : data.test.probabilities) predicted.push_back(argmax(p));
  return eval::compute_metrics(data.test.truth, predicted, data.info.labels, NAN);
}

}  // namespace fenlei::report
