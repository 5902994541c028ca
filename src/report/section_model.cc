// The model card: what the file is, how it was made and from what.
#include "report/report_sections.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "report/html_escape.h"
#include "report/section_util.h"

namespace fenlei::report {
namespace {

using Json = nlohmann::json;

}  // namespace

std::string model_card_section(const ReportData& data) {
  const ModelInfo& info = data.info;
  const Json meta = metadata(data);
  std::string rows;
  rows += card_row("file", escape_html(data.model_path) + " (" + std::to_string(info.file_bytes) + " bytes)");
  rows += card_row("format", "version " + std::to_string(info.format_version) + ", CRC-32 " +
                                 escape_html(info.checksum));
  rows += card_row("architecture", escape_html(info.architecture) +
                                        " · " + escape_html(info.precision) + " weights · " +
                                       std::to_string(info.parameter_count) + " parameters");
  rows += card_row("task", info.labels.size() == 2 ? "binary (2 labels)"
                                                   : "multi-class (" + std::to_string(info.labels.size()) + " labels)");
  rows += card_row("preprocessing", "tokenizer " + escape_html(info.tokenizer) + ", max_len " +
                                        std::to_string(info.max_len) + ", vocabulary " +
                                        std::to_string(info.vocab_size) + " tokens" +
                                        (meta.contains("preprocessing")
                                             ? " · " + escape_html(json_text(meta["preprocessing"]))
                                             : std::string()));
  std::string label_list;
  for (size_t i = 0; i < info.labels.size(); ++i) {
    label_list += (i ? ", " : "") + escape_html(info.labels[i]);
  }
  rows += card_row("labels", info.labels.size() <= 40
                                 ? label_list
                                 : "<details><summary>" + std::to_string(info.labels.size()) +
                                       " labels</summary>" + label_list + "</details>");
  std::string body = "<table class=\"card\">" + rows + "</table>";

  if (meta.contains("metrics") && meta["metrics"].contains("validation")) {
    const Json& v = meta["metrics"]["validation"];
    body += "<h3>Validation metrics stored in the model</h3><div class=\"stats\">" +
            stat(percent(v.value("accuracy", 0.0)), "accuracy") +
            stat(format_number(v.value("macro_f1", 0.0), 3), "macro-F1") +
            stat(format_number(v.value("loss", 0.0), 3), "loss") +
            stat(std::to_string(v.value("n", 0)), "validation texts") + "</div>";
  }
  // The three settings tables side by side: short rows, so columns read better than one long list.
  body += "<div class=\"grid\">";
  auto block = [&](const char* title, const Json& obj) {
    if (!obj.is_object() || obj.empty()) return;
    body += std::string("<div><h3>") + title + "</h3><table class=\"card\">" + object_rows(obj) +
            "</table></div>";
  };
  if (meta.contains("architecture")) block("Network configuration", meta["architecture"]);
  if (meta.contains("training")) {
    const Json& t = meta["training"];
    if (t.contains("data")) {
      Json d = t["data"];
      d.erase("label_counts");  // shown as a chart in "Data"
      block("Training data", d);
    }
    if (t.contains("options")) block("Training options", t["options"]);
  }
  body += "</div>";
  if (meta.contains("quantization") && !meta["quantization"].empty()) {
    body += "<h3>Quantisation</h3><pre>" + escape_html(meta["quantization"].dump(2)) + "</pre>";
  }
  if (meta.contains("lineage") && !meta["lineage"].empty()) {
    body += "<h3>Lineage</h3><details open><summary>where this model comes from</summary><pre>" +
            escape_html(meta["lineage"].dump(2, ' ', false, Json::error_handler_t::replace)) +
            "</pre></details>";
  }
  // Without the validation confusion matrix and per-class list: with hundreds of labels they
  // are most of the metadata (a number a line), and the stats above summarise them.
  Json shown = meta;
  if (shown.contains("metrics") && shown["metrics"].is_object() && shown["metrics"].contains("validation") &&
      shown["metrics"]["validation"].is_object()) {
    shown["metrics"]["validation"].erase("confusion");
    shown["metrics"]["validation"].erase("per_class");
  }
  body += "<details><summary>all metadata (JSON; validation confusion matrix and per-class scores "
          "left out)</summary><pre>" +
          escape_html(shown.dump(2, ' ', false, Json::error_handler_t::replace)) + "</pre></details>";
  return section("model", "Model", body);
}


}  // namespace fenlei::report
