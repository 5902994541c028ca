// Helpers the report's sections share: the HTML pieces they are built of and the numbers
// several of them need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fenlei/metrics.h"
#include "report/report_data.h"

namespace fenlei::report {

// Rows in a chart of labels (per-class scores, distributions) when there are more labels.
inline constexpr size_t kMaxLabelRows = 30;

// The model's metadata section, parsed (an empty object if it is not a JSON object).
nlohmann::json metadata(const ReportData& data);

// <section id=ID><h2>TITLE</h2>BODY</section>; TITLE and BODY are HTML already.
std::string section(const char* id, const char* title, const std::string& body);
// A chart with an optional caption (plain text, escaped here).
std::string figure(const std::string& svg, const std::string& caption = {});
// A big number with what it is (both plain text).
std::string stat(const std::string& value, const std::string& what);
// A JSON value as text: strings bare, everything else as compact JSON.
std::string json_text(const nlohmann::json& v);
// One "key value" row; value_html is HTML already.
std::string card_row(const std::string& key, const std::string& value_html);
// A flat object as "key value" rows; nested values as compact JSON.
std::string object_rows(const nlohmann::json& obj);
std::string percent(double v);
int64_t total(const std::vector<int64_t>& v);
// Accuracy, per-class scores and the confusion matrix of the test set.
eval::Metrics test_metrics(const ReportData& data);

}  // namespace fenlei::report
