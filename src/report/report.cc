#include "report/report.h"

#include "fenlei/version.h"
#include "report/html_escape.h"
#include "report/report_sections.h"

namespace fenlei::report {

std::string render_report(const ReportData& data) {
  struct Part {
    const char* id;
    const char* title;
    std::string html;
  };
  std::vector<Part> parts = {
      {"model", "Model", model_card_section(data)},
      {"training", "Training", training_section(data)},
      {"evaluation", "Evaluation", evaluation_section(data)},
      {"calibration", "Calibration", calibration_section(data)},
      {"mistakes", "Mistakes", worst_examples_section(data)},
      {"data", "Data", distributions_section(data)},
  };
  std::string nav, body;
  for (const auto& p : parts) {
    if (p.html.empty()) continue;
    nav += "<a href=\"#" + std::string(p.id) + "\">" + p.title + "</a>";
    body += p.html;
  }
  const std::string title = "fenlei report: " + data.model_path;
  // The policy forbids every fetch: the page is complete as it is, and a label or text that
  // slipped past escaping still could not load anything.
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" + escape_html(title) + "</title><style>" + report_css() + "</style></head>\n"
         "<body><header><h1>" + escape_html(data.model_path) + "</h1><p class=\"muted\">" +
         escape_html(data.info.architecture) + " (" + escape_html(data.info.precision) + ")" +
         " · " + std::to_string(data.info.labels.size()) + " labels · report by fenlei " +
         FENLEI_VERSION_STRING "</p><nav>" + nav + "</nav></header>\n<main>" + body +
         "</main></body></html>\n";
}

}  // namespace fenlei::report
