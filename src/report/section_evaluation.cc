// Evaluation on the test data: scores, the confusion matrix (or its most confused part), per-class
// bars, calibration.
#include "report/report_sections.h"

#include <algorithm>
#include <numeric>

#include "report/analysis.h"
#include "report/charts.h"
#include "report/html_escape.h"
#include "report/report.h"
#include "report/section_util.h"

namespace fenlei::report {
namespace {

constexpr size_t kTopConfusedPairs = 25;
constexpr size_t kMaxLabelsInCutOut = 20;

}  // namespace

std::string evaluation_section(const ReportData& data) {
  if (!data.has_test) {
    return section("evaluation", "Evaluation",
                   "<p class=\"note\">No test data given: run <code>fenlei report MODEL --test "
                   "DATA</code> for the confusion matrix, per-class scores, calibration and the "
                   "worst-classified texts.</p>");
  }
  const auto& labels = data.info.labels;
  const eval::Metrics m = test_metrics(data);
  std::string body = "<p class=\"note\">On " + escape_html(data.test.path) + ".</p><div class=\"stats\">" +
                     stat(std::to_string(m.n), "test texts") + stat(percent(m.accuracy), "accuracy") +
                     stat(format_number(m.macro_f1, 3), "macro-F1") +
                     stat(format_number(m.weighted_f1, 3), "weighted-F1") + "</div>";
  const bool many = labels.size() > kMaxLabelsInFullCharts;
  if (!many) {
    body += "<h3>Confusion matrix</h3>" +
            figure(confusion_heatmap(labels, m.confusion.dense()),
                   "Rows: true label; columns: predicted label. Colour: share of the row (blue on the "
                   "diagonal, red off it); numbers: counts.");
  } else {
    BarChart pairs{"Most confused pairs", {"texts"}, {colors::kVermillion}, {}, 0, false};
    for (const auto& p : top_confused_pairs(m.confusion, kTopConfusedPairs)) {
      const int64_t row = m.confusion.row_total(static_cast<size_t>(p.truth));
      pairs.rows.push_back({labels[static_cast<size_t>(p.truth)] + " → " + labels[static_cast<size_t>(p.predicted)],
                            {static_cast<double>(p.count)},
                            percent(row ? static_cast<double>(p.count) / static_cast<double>(row) : 0) + " of row"});
    }
    body += "<h3>Most confused pairs (true → predicted)</h3>" +
            (pairs.rows.empty() ? std::string("<p class=\"note\">No mistakes.</p>")
                                : figure(bar_chart(pairs), "With " + std::to_string(labels.size()) +
                                                               " labels the full matrix would be unreadable; these are its largest off-diagonal cells."));
    // The matrix cut down to the labels of the worst pairs, still coloured by share of all of a
    // label's texts: which labels blur into which.
    const auto involved = most_confused_labels(top_confused_pairs(m.confusion, kTopConfusedPairs),
                                               kMaxLabelsInCutOut);
    if (involved.size() >= 2) {
      std::vector<std::string> sub_labels;
      std::vector<std::vector<int64_t>> sub(involved.size(), std::vector<int64_t>(involved.size()));
      std::vector<int64_t> row_totals;
      for (size_t i = 0; i < involved.size(); ++i) {
        const size_t truth = static_cast<size_t>(involved[i]);
        sub_labels.push_back(labels[truth]);
        row_totals.push_back(m.confusion.row_total(truth));
        for (size_t j = 0; j < involved.size(); ++j)
          sub[i][j] = m.confusion.at(truth, static_cast<size_t>(involved[j]));
      }
      body += "<h3>Confusion among the most confused labels</h3>" +
              figure(confusion_heatmap(sub_labels, sub, row_totals),
                     "The confusion matrix cut down to the " + std::to_string(involved.size()) +
                         " labels of the pairs above; colour: share of all of the true label's texts.");
    }
  }
  // Per-class precision / recall / F1.
  std::vector<size_t> order(labels.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (many) {
    // A class neither in the test data nor ever predicted has F1 0 by convention, which says
    // nothing about the model: leave it out of "weakest".
    order.erase(std::remove_if(order.begin(), order.end(),
                               [&](size_t i) {
                                 return m.per_class[i].support == 0 &&
                                        m.confusion.column_total(i) == 0;
                               }),
                order.end());
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return m.per_class[a].f1 < m.per_class[b].f1;
    });
    order.resize(std::min(order.size(), kMaxLabelRows));
  }
  BarChart prf{"Precision, recall and F1 per class", {"precision", "recall", "F1"},
               {colors::kSky, colors::kOrange, colors::kBlue}, {}, 1.0, false};
  for (size_t i : order) {
    const auto& c = m.per_class[i];
    prf.rows.push_back({c.label, {c.precision, c.recall, c.f1}, "n=" + std::to_string(c.support)});
  }
  body += std::string("<h3>") + (many ? "The weakest classes by F1" : "Per-class precision, recall and F1") +
          "</h3>" + figure(bar_chart(prf));
  std::string table = "<table><tr><th>label</th><th class=\"num\">precision</th><th class=\"num\">recall"
                      "</th><th class=\"num\">F1</th><th class=\"num\">support</th></tr>";
  for (const auto& c : m.per_class) {
    table += "<tr><td>" + escape_html(c.label) + "</td><td class=\"num\">" + format_number(c.precision, 3) +
             "</td><td class=\"num\">" + format_number(c.recall, 3) + "</td><td class=\"num\">" +
             format_number(c.f1, 3) + "</td><td class=\"num\">" + std::to_string(c.support) + "</td></tr>";
  }
  body += "<details><summary>all " + std::to_string(labels.size()) +
          " classes as a table</summary>" + table + "</table></details>";
  return section("evaluation", "Evaluation", body);
}

std::string calibration_section(const ReportData& data) {
  if (!data.has_test) return {};
  std::vector<float> confidence;
  std::vector<bool> correct;
  std::vector<double> right_conf, wrong_conf;
  for (size_t i = 0; i < data.test.probabilities.size(); ++i) {
    const auto& p = data.test.probabilities[i];
    const int best = argmax(p);
    const float c = p.empty() ? 0.0f : p[static_cast<size_t>(best)];
    confidence.push_back(c);
    correct.push_back(best == data.test.truth[i]);
    (best == data.test.truth[i] ? right_conf : wrong_conf).push_back(c);
  }
  double ece = 0;
  const auto bins = calibration_bins(confidence, correct, 10, &ece);
  std::vector<double> edges;
  for (int i = 0; i <= 20; ++i) edges.push_back(i / 20.0);
  Histogram hist{"Probability of the predicted label", "probability of the predicted label", "texts", edges,
                 {"right", "wrong"}, {colors::kBlue, colors::kVermillion},
                 {count_into_bins(right_conf, edges), count_into_bins(wrong_conf, edges)}};
  const std::string body =
      "<p class=\"note\">Is a probability of 0.9 right nine times in ten? Expected calibration "
      "error " + format_number(ece, 3) + " (0 is perfect). A bar below its red mark (the mean "
      "confidence in the bin): the model is over-confident there; above it: under-confident.</p><div class=\"grid\">" +
      figure(reliability_diagram(bins, ece)) +
      figure(histogram(hist), "How sure the model is, for the texts it got right and wrong.") + "</div>";
  return section("calibration", "Calibration", body);
}


}  // namespace fenlei::report
