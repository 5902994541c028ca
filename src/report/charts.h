// The report's charts, each a function from plain numbers and labels to one <svg> element.
// They know nothing of models or metrics (report_sections.cc turns those into these inputs), so
// each is testable on its own and a new section (multi-label, say) reuses them as they are.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fenlei::report {

// Colour-blind-safe colours (Okabe & Ito) used across the report.
namespace colors {
inline constexpr const char* kBlue = "#0072B2";
inline constexpr const char* kOrange = "#E69F00";
inline constexpr const char* kGreen = "#009E73";
inline constexpr const char* kVermillion = "#D55E00";
inline constexpr const char* kPurple = "#CC79A7";
inline constexpr const char* kSky = "#56B4E9";
inline constexpr const char* kGrey = "#999999";
}  // namespace colors

struct Series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
  bool dashed = false;
};

struct LineChart {
  std::string title;
  std::string x_label, y_label;
  std::vector<Series> series;
  std::optional<double> marked_x;  // a vertical marker (the kept epoch)
  std::string marked_label;        // its caption, e.g. "kept: epoch 3"
  bool y_from_zero = false;        // start the y axis at 0 (accuracies); else fit the data
  bool integer_x = true;           // x ticks at whole numbers only (epochs)
};
std::string line_chart(const LineChart& chart);

// Horizontal bars, one row per category, one bar per series inside the row (P/R/F1, shares).
struct BarRow {
  std::string label;
  std::vector<double> values;  // one per series
  std::string note;            // optional text after the bars, e.g. "n=120"
};
struct BarChart {
  std::string title;
  std::vector<std::string> series_names;
  std::vector<std::string> colors;  // one per series
  std::vector<BarRow> rows;
  double max_value = 0;             // 0: the largest value
  bool percent = false;             // values in [0, 1] shown as percentages
};
std::string bar_chart(const BarChart& chart);

// Vertical histogram over bins [edges[i], edges[i+1]); several series are stacked.
struct Histogram {
  std::string title;
  std::string x_label, y_label;
  std::vector<double> edges;                 // bins + 1 values, ascending
  std::vector<std::string> series_names;
  std::vector<std::string> colors;
  std::vector<std::vector<double>> counts;   // [series][bin]
};
std::string histogram(const Histogram& chart);

// Reliability diagram: per confidence bin, the accuracy actually reached, against the diagonal of
// perfect calibration.
struct CalibrationBin {
  double lower = 0, upper = 0;  // confidence range of the bin
  double mean_confidence = 0;
  double accuracy = 0;
  int64_t count = 0;
};
std::string reliability_diagram(const std::vector<CalibrationBin>& bins, double ece);

// Confusion matrix: counts[i][j] = texts of true label i predicted as j. Cells are coloured by
// the share of row i (so rare classes show as clearly as common ones) and carry their counts.
// `row_totals`, when given, are the rows' sums in the full matrix: for a cut-out of a larger one
// (the labels most confused with each other), shares stay shares of all of a label's texts.
std::string confusion_heatmap(const std::vector<std::string>& labels,
                              const std::vector<std::vector<int64_t>>& counts,
                              const std::vector<int64_t>& row_totals = {});

// A label shortened to at most `columns` terminal columns (CJK counts 2), with "…" when cut.
std::string shorten_label(const std::string& label, size_t columns);

// "#rrggbb" between white (t = 0) and `color` (t = 1).
std::string blend_from_white(const std::string& color, double t);

}  // namespace fenlei::report
