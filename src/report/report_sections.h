// The report's sections, each a function of ReportData returning one <section> (empty string
// when it has nothing to show), each in its own section_<name>.cc. render_report (report.cc)
// lays them out in order; a new kind of task (multi-label: per-label F1 and thresholds, label
// cardinality) adds a function here, a file, and a line there.
#pragma once

#include <string>

#include "report/report_data.h"

namespace fenlei::report {

std::string model_card_section(const ReportData& data);
std::string training_section(const ReportData& data);
std::string evaluation_section(const ReportData& data);
std::string calibration_section(const ReportData& data);
std::string worst_examples_section(const ReportData& data);
std::string distributions_section(const ReportData& data);

// The CSS of the page (screen and print).
const char* report_css();

}  // namespace fenlei::report
