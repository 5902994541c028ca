#include "report/svg.h"

#include "report/html_escape.h"

namespace fenlei::report {
namespace {

std::string attr(std::string_view name, std::string_view value) {
  if (value.empty()) return {};
  return " " + std::string(name) + "=\"" + escape_html(value) + "\"";
}

std::string title_element(std::string_view tooltip) {
  return tooltip.empty() ? std::string() : "<title>" + escape_html(tooltip) + "</title>";
}

const char* anchor_name(Anchor a) {
  switch (a) {
    case Anchor::kMiddle: return "middle";
    case Anchor::kEnd: return "end";
    case Anchor::kStart: break;
  }
  return "start";
}

}  // namespace

Svg::Svg(double width, double height, std::string_view title)
    : width_(width), height_(height), title_(title) {}

void Svg::rect(double x, double y, double w, double h, std::string_view fill,
               std::string_view tooltip, std::string_view css_class) {
  if (w < 0) w = 0;
  if (h < 0) h = 0;
  body_ += "<rect x=\"" + format_coord(x) + "\" y=\"" + format_coord(y) + "\" width=\"" +
           format_coord(w) + "\" height=\"" + format_coord(h) + "\"" + attr("fill", fill) +
           attr("class", css_class);
  body_ += tooltip.empty() ? "/>" : ">" + title_element(tooltip) + "</rect>";
}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view css_class) {
  body_ += "<line x1=\"" + format_coord(x1) + "\" y1=\"" + format_coord(y1) + "\" x2=\"" +
           format_coord(x2) + "\" y2=\"" + format_coord(y2) + "\"" + attr("class", css_class) + "/>";
}

void Svg::text(double x, double y, std::string_view content, Anchor anchor,
               std::string_view css_class, std::string_view fill) {
  body_ += "<text x=\"" + format_coord(x) + "\" y=\"" + format_coord(y) + "\" text-anchor=\"" +
           anchor_name(anchor) + "\"" + attr("class", css_class) +
           // A style, not a fill attribute: the page's CSS colours text and would win over it.
           (fill.empty() ? std::string() : " style=\"fill:" + escape_html(fill) + "\"") + ">" +
           escape_html(content) + "</text>";
}

void Svg::rotated_text(double x, double y, double degrees, std::string_view content, Anchor anchor,
                       std::string_view css_class) {
  body_ += "<text transform=\"translate(" + format_coord(x) + " " + format_coord(y) + ") rotate(" +
           format_coord(degrees) + ")\" text-anchor=\"" + anchor_name(anchor) + "\"" +
           attr("class", css_class) + ">" + escape_html(content) + "</text>";
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points,
                   std::string_view css_class, std::string_view stroke) {
  if (points.empty()) return;
  std::string pts;
  for (const auto& [x, y] : points) {
    if (!pts.empty()) pts += ' ';
    pts += format_coord(x) + "," + format_coord(y);
  }
  body_ += "<polyline points=\"" + pts + "\" fill=\"none\"" + attr("class", css_class) +
           attr("stroke", stroke) + "/>";
}

void Svg::circle(double cx, double cy, double r, std::string_view css_class, std::string_view fill,
                 std::string_view tooltip) {
  body_ += "<circle cx=\"" + format_coord(cx) + "\" cy=\"" + format_coord(cy) + "\" r=\"" +
           format_coord(r) + "\"" + attr("class", css_class) + attr("fill", fill);
  body_ += tooltip.empty() ? "/>" : ">" + title_element(tooltip) + "</circle>";
}

std::string Svg::str() const {
  return "<svg viewBox=\"0 0 " + format_coord(width_) + " " +
         format_coord(height_) + "\" width=\"" + format_coord(width_) + "\" role=\"img\"" +
         attr("aria-label", title_) + ">" + title_element(title_) + body_ + "</svg>";
}

}  // namespace fenlei::report
