// Label and text-length distributions.
#include "report/report_sections.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "report/analysis.h"
#include "report/charts.h"
#include "report/html_escape.h"
#include "report/section_util.h"

namespace fenlei::report {
namespace {

using Json = nlohmann::json;

}  // namespace

std::string distributions_section(const ReportData& data) {
  const auto& labels = data.info.labels;
  const Json meta = metadata(data);
  std::vector<double> train_counts(labels.size(), NAN);
  bool have_train = false;
  if (meta.contains("training") && meta["training"].contains("data") &&
      meta["training"]["data"].contains("label_counts")) {
    const Json& lc = meta["training"]["data"]["label_counts"];
    for (size_t i = 0; i < labels.size(); ++i) {
      if (lc.contains(labels[i]) && lc[labels[i]].is_number()) {
        train_counts[i] = lc[labels[i]].get<double>();
        have_train = true;
      }
    }
  }
  std::vector<double> test_truth(labels.size(), 0), test_pred(labels.size(), 0);
  if (data.has_test) {
    for (size_t i = 0; i < data.test.truth.size(); ++i) {
      test_truth[static_cast<size_t>(data.test.truth[i])] += 1;
      test_pred[static_cast<size_t>(argmax(data.test.probabilities[i]))] += 1;
    }
  }
  if (!have_train && !data.has_test) return {};
  auto shares = [](const std::vector<double>& counts) {
    double sum = 0;
    for (double c : counts) sum += std::isfinite(c) ? c : 0;
    std::vector<double> out;
    for (double c : counts) out.push_back(sum > 0 && std::isfinite(c) ? c / sum : 0);
    return out;
  };
  BarChart chart{"Label distribution", {}, {}, {}, 0, true};
  std::vector<std::vector<double>> columns;
  if (have_train) chart.series_names.push_back("training"), chart.colors.push_back(colors::kGrey),
      columns.push_back(shares(train_counts));
  if (data.has_test) {
    chart.series_names.push_back("test (true)"), chart.colors.push_back(colors::kBlue);
    columns.push_back(shares(test_truth));
    chart.series_names.push_back("test (predicted)"), chart.colors.push_back(colors::kOrange);
    columns.push_back(shares(test_pred));
  }
  std::vector<size_t> order(labels.size());
  std::iota(order.begin(), order.end(), size_t{0});
  const auto& key = columns.front();
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] > key[b]; });
  const bool cut = order.size() > kMaxLabelRows;
  if (cut) order.resize(kMaxLabelRows);
  for (size_t i : order) {
    BarRow row{labels[i], {}, {}};
    for (const auto& c : columns) row.values.push_back(c[i]);
    if (have_train && std::isfinite(train_counts[i])) row.note = "n=" + format_number(train_counts[i], 9);
    chart.rows.push_back(row);
  }
  std::string body = "<h3>Labels</h3>" +
                     figure(bar_chart(chart), cut ? "The " + std::to_string(kMaxLabelRows) + " most frequent of " +
                                                        std::to_string(labels.size()) + " labels; n = training texts."
                                                  : "Shares of each label; n = training texts.");
  if (data.has_test && !data.test.lengths.empty()) {
    const auto edges = length_bin_edges(data.test.lengths, 24);
    std::vector<double> right, wrong;
    for (size_t i = 0; i < data.test.lengths.size(); ++i) {
      const bool ok = argmax(data.test.probabilities[i]) == data.test.truth[i];
      (ok ? right : wrong).push_back(static_cast<double>(data.test.lengths[i]));
    }
    Histogram h{"Text length", "characters per test text", "texts", edges, {"right", "wrong"},
                {colors::kBlue, colors::kVermillion}, {count_into_bins(right, edges), count_into_bins(wrong, edges)}};
    std::string length_note;
    if (meta.contains("training") && meta["training"].contains("data") &&
        meta["training"]["data"].contains("token_length")) {
      const Json& tl = meta["training"]["data"]["token_length"];
      length_note = " Training texts, in tokens: median " + json_text(tl.value("median", Json())) +
                    ", 95th percentile " + json_text(tl.value("p95", Json())) + ", longest " +
                    json_text(tl.value("max", Json())) + "; the model reads " +
                    std::to_string(data.info.max_len) + ".";
    }
    body += "<h3>Text lengths</h3>" + figure(histogram(h), "Test texts by length, right and wrong." + length_note);
  }
  return section("data", "Data", body);
}


}  // namespace fenlei::report
