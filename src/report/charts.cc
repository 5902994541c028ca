#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "fenlei/metrics.h"
#include "text/utf8.h"
#include "report/html_escape.h"
#include "report/svg.h"

namespace fenlei::report {
namespace {

constexpr double kCharWidth = 6.6;  // px per terminal column at the report's 12px font

double text_width(const std::string& s) {
  return kCharWidth * static_cast<double>(eval::display_width(s));
}

// Round steps (1, 2 or 5 times a power of ten) that cut [lo, hi] into about `count` parts.
std::vector<double> nice_ticks(double lo, double hi, int count) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / std::max(1, count);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

// Maps [d0, d1] onto [r0, r1].
struct Scale {
  double d0, d1, r0, r1;
  double operator()(double v) const {
    return d1 == d0 ? (r0 + r1) / 2 : r0 + (v - d0) / (d1 - d0) * (r1 - r0);
  }
};

void legend(Svg& svg, double x, double y, const std::vector<std::string>& names,
            const std::vector<std::string>& colors, const std::vector<bool>& dashed = {}) {
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& color = i < colors.size() ? colors[i] : colors::kGrey;
    if (!dashed.empty() && dashed[i]) {
      svg.polyline({{x, y - 4}, {x + 14, y - 4}}, "series dashed", color);
    } else {
      svg.rect(x, y - 9, 14, 9, color);
    }
    svg.text(x + 18, y, names[i], Anchor::kStart, "legend");
    x += 18 + text_width(names[i]) + 16;
  }
}

std::string hex2(int v) {
  char buf[4];
  std::snprintf(buf, sizeof(buf), "%02x", std::clamp(v, 0, 255));
  return buf;
}

}  // namespace

std::string shorten_label(const std::string& label, size_t columns) {
  if (eval::display_width(label) <= columns) return label;
  std::u32string cps = utf8::to_u32(label);
  while (!cps.empty() && eval::display_width(utf8::from_u32(cps)) + 1 > columns) cps.pop_back();
  return utf8::from_u32(cps) + "…";
}

std::string blend_from_white(const std::string& color, double t) {
  if (color.size() != 7 || color[0] != '#') return color;
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  std::string out = "#";
  for (int i = 0; i < 3; ++i) {
    const int c = std::stoi(color.substr(static_cast<size_t>(1 + 2 * i), 2), nullptr, 16);
    out += hex2(static_cast<int>(std::lround(255 + (c - 255) * t)));
  }
  return out;
}

std::string line_chart(const LineChart& chart) {
  const double width = 460, height = 250, left = 64, right = 16, top = 34, bottom = 42;
  Svg svg(width, height, chart.title);
  double x_lo = 1e300, x_hi = -1e300, y_lo = 1e300, y_hi = -1e300;
  for (const auto& s : chart.series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
      y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
    }
  }
  if (x_lo > x_hi) {  // no data at all
    svg.text(width / 2, height / 2, "no data", Anchor::kMiddle, "muted");
    return svg.str();
  }
  if (chart.y_from_zero) y_lo = std::min(0.0, y_lo);
  if (y_hi - y_lo < 1e-12) {
    y_hi += std::max(1e-3, std::fabs(y_hi) * 0.05);
    y_lo -= std::max(1e-3, std::fabs(y_lo) * 0.05);
    if (chart.y_from_zero) y_lo = std::min(0.0, y_lo);
  }
  std::vector<double> y_ticks = nice_ticks(y_lo, y_hi, 5);
  y_lo = std::min(y_lo, y_ticks.front());
  y_hi = std::max(y_hi, y_ticks.back());
  if (x_hi - x_lo < 1) x_lo -= 0.5, x_hi += 0.5;
  const Scale sx{x_lo, x_hi, left, width - right};
  const Scale sy{y_lo, y_hi, height - bottom, top};

  for (double t : y_ticks) {
    svg.line(left, sy(t), width - right, sy(t), "grid");
    svg.text(left - 6, sy(t) + 4, format_number(t, 6), Anchor::kEnd, "tick");
  }
  std::vector<double> x_ticks = nice_ticks(x_lo, x_hi, 8);
  for (double t : x_ticks) {
    if (chart.integer_x && std::fabs(t - std::round(t)) > 1e-9) continue;
    svg.line(sx(t), height - bottom, sx(t), height - bottom + 4, "axis");
    svg.text(sx(t), height - bottom + 16, format_number(t, 4), Anchor::kMiddle, "tick");
  }
  svg.line(left, height - bottom, width - right, height - bottom, "axis");
  svg.line(left, top, left, height - bottom, "axis");
  svg.text((left + width - right) / 2, height - 6, chart.x_label, Anchor::kMiddle, "axis-title");
  svg.rotated_text(12, (top + height - bottom) / 2, -90, chart.y_label, Anchor::kMiddle,
                   "axis-title");

  if (chart.marked_x) {
    const double x = sx(*chart.marked_x);
    svg.line(x, top, x, height - bottom, "marker");
    // The caption goes on the side with room: left of a marker in the right half.
    const bool right_half = x > (left + width - right) / 2;
    svg.text(right_half ? x - 4 : x + 4, top - 4, chart.marked_label,
             right_half ? Anchor::kEnd : Anchor::kStart, "marker-label");
  }
  std::vector<std::string> names, colors_used;
  std::vector<bool> dashed;
  for (const auto& s : chart.series) {
    std::vector<std::pair<double, double>> pts;
    for (const auto& [x, y] : s.points) {
      if (std::isfinite(y)) pts.push_back({sx(x), sy(y)});
    }
    svg.polyline(pts, s.dashed ? "series dashed" : "series", s.color);
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      svg.circle(sx(x), sy(y), 3, "point", s.color,
                 s.name + " at " + chart.x_label + " " + format_number(x, 4) + ": " +
                     format_number(y, 4));
    }
    names.push_back(s.name);
    colors_used.push_back(s.color);
    dashed.push_back(s.dashed);
  }
  legend(svg, left, 16, names, colors_used, dashed);
  return svg.str();
}

std::string bar_chart(const BarChart& chart) {
  const size_t n_series = std::max<size_t>(1, chart.series_names.size());
  const double bar_h = n_series == 1 ? 14 : 8, gap = 8;
  const double row_h = bar_h * static_cast<double>(n_series) + gap;
  double label_w = 40;
  for (const auto& r : chart.rows) label_w = std::max(label_w, text_width(shorten_label(r.label, 28)));
  const double width = 660, top = n_series > 1 ? 30 : 12, note_w = 96;
  const double height = top + row_h * static_cast<double>(chart.rows.size()) + 26;
  Svg svg(width, height, chart.title);
  double max_value = chart.max_value;
  if (max_value <= 0) {
    for (const auto& r : chart.rows)
      for (double v : r.values) max_value = std::max(max_value, v);
  }
  if (max_value <= 0) max_value = 1;
  const double x0 = label_w + 10, x1 = width - note_w;
  const Scale sx{0, max_value, x0, x1};
  const double axis_y = top + row_h * static_cast<double>(chart.rows.size());
  for (double t : nice_ticks(0, max_value, 5)) {
    if (t > max_value * (1 + 1e-9)) continue;
    svg.line(sx(t), top - 2, sx(t), axis_y, "grid");
    svg.text(sx(t), axis_y + 14, chart.percent ? format_number(t * 100, 3) + "%" : format_number(t, 4),
             Anchor::kMiddle, "tick");
  }
  for (size_t r = 0; r < chart.rows.size(); ++r) {
    const BarRow& row = chart.rows[r];
    const double y = top + row_h * static_cast<double>(r);
    svg.text(x0 - 6, y + row_h / 2 + 1, shorten_label(row.label, 28), Anchor::kEnd, "label");
    for (size_t s = 0; s < row.values.size() && s < n_series; ++s) {
      const double v = std::isfinite(row.values[s]) ? row.values[s] : 0.0;
      const std::string name = s < chart.series_names.size() ? chart.series_names[s] : "";
      const std::string value_text = chart.percent ? format_number(v * 100, 3) + "%" : format_number(v, 4);
      const std::string color = s < chart.colors.size() ? chart.colors[s] : colors::kBlue;
      svg.rect(x0, y + gap / 2 + bar_h * static_cast<double>(s), sx(std::min(v, max_value)) - x0,
               bar_h - 1, color, row.label + (name.empty() ? "" : " " + name) + ": " + value_text);
    }
    if (!row.note.empty()) svg.text(x1 + 6, y + row_h / 2 + 1, row.note, Anchor::kStart, "tick");
  }
  svg.line(x0, top - 2, x0, axis_y, "axis");
  if (n_series > 1) legend(svg, x0, 16, chart.series_names, chart.colors);
  return svg.str();
}

std::string histogram(const Histogram& chart) {
  const double width = 460, height = 240, left = 64, right = 16, top = 30, bottom = 42;
  Svg svg(width, height, chart.title);
  const size_t bins = chart.edges.size() < 2 ? 0 : chart.edges.size() - 1;
  double max_total = 0;
  for (size_t b = 0; b < bins; ++b) {
    double total = 0;
    for (const auto& s : chart.counts) total += b < s.size() ? s[b] : 0;
    max_total = std::max(max_total, total);
  }
  if (bins == 0 || max_total <= 0) {
    svg.text(width / 2, height / 2, "no data", Anchor::kMiddle, "muted");
    return svg.str();
  }
  std::vector<double> y_ticks = nice_ticks(0, max_total, 4);
  const double y_hi = std::max(max_total, y_ticks.back());
  const Scale sx{chart.edges.front(), chart.edges.back(), left, width - right};
  const Scale sy{0, y_hi, height - bottom, top};
  for (double t : y_ticks) {
    svg.line(left, sy(t), width - right, sy(t), "grid");
    svg.text(left - 6, sy(t) + 4, format_number(t, 4), Anchor::kEnd, "tick");
  }
  for (size_t b = 0; b < bins; ++b) {
    double base = 0;
    for (size_t s = 0; s < chart.counts.size(); ++s) {
      const double c = b < chart.counts[s].size() ? chart.counts[s][b] : 0;
      if (c <= 0) continue;
      const std::string name = s < chart.series_names.size() ? chart.series_names[s] : "";
      const std::string color = s < chart.colors.size() ? chart.colors[s] : colors::kBlue;
      const double x = sx(chart.edges[b]) + 0.5, w = sx(chart.edges[b + 1]) - sx(chart.edges[b]) - 1;
      svg.rect(x, sy(base + c), w, sy(base) - sy(base + c), color,
               (name.empty() ? "" : name + ", ") + "[" + format_number(chart.edges[b], 4) + ", " +
                   format_number(chart.edges[b + 1], 4) + "): " + format_number(c, 6));
      base += c;
    }
  }
  for (double t : nice_ticks(chart.edges.front(), chart.edges.back(), 6)) {
    svg.line(sx(t), height - bottom, sx(t), height - bottom + 4, "axis");
    svg.text(sx(t), height - bottom + 16, format_number(t, 4), Anchor::kMiddle, "tick");
  }
  svg.line(left, height - bottom, width - right, height - bottom, "axis");
  svg.line(left, top, left, height - bottom, "axis");
  svg.text((left + width - right) / 2, height - 6, chart.x_label, Anchor::kMiddle, "axis-title");
  svg.rotated_text(12, (top + height - bottom) / 2, -90, chart.y_label, Anchor::kMiddle,
                   "axis-title");
  if (chart.series_names.size() > 1) legend(svg, left, 16, chart.series_names, chart.colors);
  return svg.str();
}

std::string reliability_diagram(const std::vector<CalibrationBin>& bins, double ece) {
  const double size = 250, left = 56, top = 30, bottom = 42, right = 16;
  const double width = left + size + right, height = top + size + bottom;
  Svg svg(width, height, "Reliability diagram (expected calibration error " + format_number(ece, 3) + ")");
  const Scale sx{0, 1, left, left + size};
  const Scale sy{0, 1, top + size, top};
  for (double t : {0.0, 0.2, 0.4, 0.6, 0.8, 1.0}) {
    svg.line(left, sy(t), left + size, sy(t), "grid");
    svg.text(left - 6, sy(t) + 4, format_number(t, 2), Anchor::kEnd, "tick");
    svg.text(sx(t), top + size + 16, format_number(t, 2), Anchor::kMiddle, "tick");
  }
  for (const auto& b : bins) {
    if (b.count == 0) continue;
    const double x = sx(b.lower) + 0.5, w = sx(b.upper) - sx(b.lower) - 1;
    const std::string tip = "confidence " + format_number(b.lower, 2) + "-" + format_number(b.upper, 2) +
                            ": accuracy " + format_number(b.accuracy, 3) + ", mean confidence " +
                            format_number(b.mean_confidence, 3) + ", " + std::to_string(b.count) +
                            " texts";
    svg.rect(x, sy(b.accuracy), w, sy(0) - sy(b.accuracy), colors::kBlue, tip);
    // The level the bar would reach if the model were calibrated: the bin's mean confidence.
    svg.rect(x, sy(b.mean_confidence) - 1.5, w, 3, colors::kVermillion, tip);
  }
  svg.line(sx(0), sy(0), sx(1), sy(1), "diagonal");
  svg.line(left, top + size, left + size, top + size, "axis");
  svg.line(left, top, left, top + size, "axis");
  svg.text(left + size / 2, height - 6, "confidence (probability of the predicted label)",
           Anchor::kMiddle, "axis-title");
  svg.rotated_text(14, top + size / 2, -90, "accuracy", Anchor::kMiddle, "axis-title");
  legend(svg, left, 16, {"accuracy", "mean confidence"}, {colors::kBlue, colors::kVermillion});
  return svg.str();
}

std::string confusion_heatmap(const std::vector<std::string>& labels,
                              const std::vector<std::vector<int64_t>>& counts,
                              const std::vector<int64_t>& row_totals) {
  const size_t n = labels.size();
  const double cell = std::clamp(520.0 / std::max<size_t>(1, n), 16.0, 60.0);
  double label_w = 30;
  for (const auto& l : labels) label_w = std::max(label_w, text_width(shorten_label(l, 18)));
  const double left = label_w + 30, top = label_w * 0.75 + 30;
  const double width = left + cell * static_cast<double>(n) + 20;
  const double height = top + cell * static_cast<double>(n) + 30;
  Svg svg(width, height, "Confusion matrix: rows are true labels, columns predicted labels");
  for (size_t i = 0; i < n; ++i) {
    int64_t row_total = 0;
    for (size_t j = 0; j < n && i < counts.size() && j < counts[i].size(); ++j) row_total += counts[i][j];
    if (i < row_totals.size()) row_total = row_totals[i];
    const double y = top + cell * static_cast<double>(i);
    svg.text(left - 6, y + cell / 2 + 4, shorten_label(labels[i], 18), Anchor::kEnd, "label");
    for (size_t j = 0; j < n; ++j) {
      const int64_t c = i < counts.size() && j < counts[i].size() ? counts[i][j] : 0;
      const double share = row_total > 0 ? static_cast<double>(c) / static_cast<double>(row_total) : 0;
      const double x = left + cell * static_cast<double>(j);
      const std::string base = i == j ? colors::kBlue : colors::kVermillion;
      svg.rect(x, y, cell - 1, cell - 1, c == 0 ? "#f7f7f7" : blend_from_white(base, 0.12 + 0.88 * share),
               "true " + labels[i] + ", predicted " + labels[j] + ": " + std::to_string(c) + " (" +
                   format_number(share * 100, 3) + "% of " + labels[i] + ")");
      if (cell >= 20 && c > 0) {
        svg.text(x + cell / 2 - 0.5, y + cell / 2 + 3.5, std::to_string(c), Anchor::kMiddle,
                 cell >= 30 ? "cell" : "cell small", share > 0.55 ? "#ffffff" : "#222222");
      }
    }
  }
  for (size_t j = 0; j < n; ++j) {
    const double x = left + cell * static_cast<double>(j) + cell / 2;
    svg.rotated_text(x + 3, top - 6, -45, shorten_label(labels[j], 18), Anchor::kStart, "label");
  }
  svg.text(left + cell * static_cast<double>(n) / 2, height - 8, "predicted label →", Anchor::kMiddle,
           "axis-title");
  svg.rotated_text(12, top + cell * static_cast<double>(n) / 2, -90, "true label →", Anchor::kMiddle,
                   "axis-title");
  return svg.str();
}

}  // namespace fenlei::report
