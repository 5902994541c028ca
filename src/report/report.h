// `fenlei report`: one self-contained HTML page about a model (docs/report.md). No script, no
// font, no image from anywhere: inline CSS and SVG only, so it opens offline, prints, and can be
// mailed or attached to a model registry entry as it is.
//
//   report::ReportData data = ...;            // collect.h fills it from a model, data and a log
//   std::string html = report::render_report(data);
//   FENLEI_RETURN_IF_ERROR(write_file_atomic("report.html", html));
#pragma once

#include <string>

#include "report/report_data.h"

namespace fenlei::report {

// Past this many labels the confusion matrix becomes a list of the most confused pairs and the
// per-class charts show the weakest classes (the full tables stay, folded, below them).
inline constexpr size_t kMaxLabelsInFullCharts = 30;

std::string render_report(const ReportData& data);

}  // namespace fenlei::report
