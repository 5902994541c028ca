// A tiny SVG writer: the shapes the report's charts are drawn with. Text and titles are escaped
// here, so chart code can pass labels straight from the data. Styling comes from CSS classes
// (report_style.cc) where it can, so that the charts follow the page's colours and print well.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fenlei::report {

enum class Anchor { kStart, kMiddle, kEnd };

class Svg {
 public:
  // A width x height drawing (user units = CSS pixels at full size; it scales down with the page).
  // `title` is read out by screen readers and shown as the tooltip of the whole chart.
  Svg(double width, double height, std::string_view title);

  // `tooltip`, when not empty, becomes an SVG <title>: the browser shows it on hover.
  void rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view tooltip = {}, std::string_view css_class = {});
  void line(double x1, double y1, double x2, double y2, std::string_view css_class);
  void text(double x, double y, std::string_view content, Anchor anchor = Anchor::kStart,
            std::string_view css_class = {}, std::string_view fill = {});
  // Text turned by `degrees` (negative: counter-clockwise) around (x, y): axis titles, column labels.
  void rotated_text(double x, double y, double degrees, std::string_view content,
                    Anchor anchor = Anchor::kMiddle, std::string_view css_class = {});
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view css_class,
                std::string_view stroke = {});
  void circle(double cx, double cy, double r, std::string_view css_class, std::string_view fill = {},
              std::string_view tooltip = {});

  double width() const { return width_; }
  double height() const { return height_; }
  // The finished <svg> element.
  std::string str() const;

 private:
  double width_, height_;
  std::string title_;
  std::string body_;
};

}  // namespace fenlei::report
