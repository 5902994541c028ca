// Training curves per epoch, from the model's history or a --log file.
#include "report/report_sections.h"

#include <algorithm>
#include <cmath>

#include "report/charts.h"
#include "report/html_escape.h"
#include "report/section_util.h"

namespace fenlei::report {
std::string training_section(const ReportData& data) {
  if (data.history.empty()) {
    return section("training", "Training",
                   "<p class=\"note\">This model file holds no per-epoch history (it may be a "
                   "converted or imported model). Pass the JSON lines that <code>fenlei train "
                   "--log FILE</code> wrote with <code>--log FILE</code> to see the curves.</p>");
  }
  auto series = [&](const char* name, const char* color, bool dashed, double EpochRow::*field) {
    Series s{name, color, {}, dashed};
    for (const auto& r : data.history) s.points.push_back({r.epoch, r.*field});
    return s;
  };
  std::optional<double> mark;
  std::string mark_label;
  if (data.kept_epoch > 0) {
    mark = data.kept_epoch;
    mark_label = "kept: epoch " + std::to_string(data.kept_epoch);
  }
  LineChart loss{"Loss per epoch", "epoch", "loss", {}, mark, mark_label, false, true};
  loss.series = {series("train", colors::kBlue, false, &EpochRow::train_loss),
                 series("validation", colors::kVermillion, true, &EpochRow::valid_loss)};
  LineChart acc{"Accuracy per epoch", "epoch", "accuracy", {}, mark, mark_label, false, true};
  acc.series = {series("train", colors::kBlue, false, &EpochRow::train_accuracy),
                series("validation", colors::kVermillion, true, &EpochRow::valid_accuracy)};
  LineChart lr{"Learning rate per epoch (at the epoch's last step)", "epoch", "learning rate", {}, mark,
               mark_label, true, true};
  lr.series = {series("learning rate", colors::kGreen, false, &EpochRow::lr)};
  std::string body = "<p class=\"note\">From the " + escape_html(data.history_source) + ". " +
                     std::to_string(data.history.size()) + " epochs" +
                     (data.kept_epoch > 0 ? "; the model holds the weights of epoch " +
                                                std::to_string(data.kept_epoch) + " (dashed line)"
                                          : std::string()) +
                     ".</p><div class=\"grid\">" + figure(line_chart(loss)) + figure(line_chart(acc)) +
                     figure(line_chart(lr));
  const bool timed = std::any_of(data.history.begin(), data.history.end(),
                                 [](const EpochRow& r) { return std::isfinite(r.examples_per_second); });
  if (timed) {
    LineChart speed{"Training speed", "epoch", "examples / second", {}, {}, {}, true, true};
    speed.series = {series("examples/s", colors::kPurple, false, &EpochRow::examples_per_second)};
    body += figure(line_chart(speed));
  }
  body += "</div><details><summary>the numbers</summary><table><tr><th class=\"num\">epoch</th>"
          "<th class=\"num\">train loss</th><th class=\"num\">train acc</th><th class=\"num\">valid "
          "loss</th><th class=\"num\">valid acc</th><th class=\"num\">lr</th></tr>";
  for (const auto& r : data.history) {
    body += "<tr><td class=\"num\">" + std::to_string(r.epoch) + (r.epoch == data.kept_epoch ? " ★" : "") +
            "</td><td class=\"num\">" + format_number(r.train_loss, 4) + "</td><td class=\"num\">" +
            format_number(r.train_accuracy, 4) + "</td><td class=\"num\">" + format_number(r.valid_loss, 4) +
            "</td><td class=\"num\">" + format_number(r.valid_accuracy, 4) + "</td><td class=\"num\">" +
            format_number(r.lr, 3) + "</td></tr>";
  }
  body += "</table></details>";
  return section("training", "Training", body);
}


}  // namespace fenlei::report
