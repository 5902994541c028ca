#include "report/report_sections.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "fenlei/metrics.h"
#include "report/analysis.h"
#include "report/charts.h"
#include "report/html_escape.h"
#include "report/report.h"

namespace fenlei::report {
namespace {

using Json = nlohmann::json;

constexpr size_t kTopConfusedPairs = 25;
constexpr size_t kMaxLabelRows = 30;
constexpr size_t kMaxLabelsInCutOut = 20;

Json metadata(const ReportData& data) {
  Json meta = Json::parse(data.info.metadata_json, nullptr, false);
  return meta.is_object() ? meta : Json::object();
}

std::string section(const char* id, const char* title, const std::string& body) {
  return std::string("<section id=\"") + id + "\"><h2>" + title + "</h2>" + body + "</section>\n";
}

std::string figure(const std::string& svg, const std::string& caption = {}) {
  return "<div class=\"figure\">" + svg +
         (caption.empty() ? "" : "<div class=\"caption\">" + escape_html(caption) + "</div>") + "</div>";
}

std::string stat(const std::string& value, const std::string& what) {
  return "<div class=\"stat\"><b>" + escape_html(value) + "</b><span>" + escape_html(what) +
         "</span></div>";
}

// A JSON value as text: strings bare, everything else as compact JSON.
std::string json_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return format_number(v.get<double>(), 6);
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string card_row(const std::string& key, const std::string& value_html) {
  return "<tr><th>" + escape_html(key) + "</th><td>" + value_html + "</td></tr>";
}

// A flat object as "key value" rows; nested values as compact JSON.
std::string object_rows(const Json& obj) {
  std::string rows;
  if (!obj.is_object()) return rows;
  for (const auto& [k, v] : obj.items()) rows += card_row(k, escape_html(json_text(v)));
  return rows;
}

std::string percent(double v) { return format_number(v * 100, 3) + "%"; }

int64_t total(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

eval::Metrics test_metrics(const ReportData& data) {
  std::vector<int> predicted;
  predicted.reserve(data.test.probabilities.size());
  for (const auto& p : data.test.probabilities) predicted.push_back(argmax(p));
  return eval::compute_metrics(data.test.truth, predicted, data.info.labels, NAN);
}

}  // namespace

std::string model_card_section(const ReportData& data) {
  const ModelInfo& info = data.info;
  const Json meta = metadata(data);
  std::string rows;
  rows += card_row("file", escape_html(data.model_path) + " (" + std::to_string(info.file_bytes) + " bytes)");
  rows += card_row("format", "version " + std::to_string(info.format_version) + ", CRC-32 " +
                                 escape_html(info.checksum));
  rows += card_row("architecture", escape_html(info.architecture) +
                                       (info.quantized ? " · int8 weights" : " · float32 weights") + " · " +
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
            figure(confusion_heatmap(labels, m.confusion),
                   "Rows: true label; columns: predicted label. Colour: share of the row (blue on the "
                   "diagonal, red off it); numbers: counts.");
  } else {
    BarChart pairs{"Most confused pairs", {"texts"}, {colors::kVermillion}, {}, 0, false};
    for (const auto& p : top_confused_pairs(m.confusion, kTopConfusedPairs)) {
      const int64_t row = total(m.confusion[static_cast<size_t>(p.truth)]);
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
        const auto& row = m.confusion[static_cast<size_t>(involved[i])];
        sub_labels.push_back(labels[static_cast<size_t>(involved[i])]);
        row_totals.push_back(total(row));
        for (size_t j = 0; j < involved.size(); ++j) sub[i][j] = row[static_cast<size_t>(involved[j])];
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
                                 int64_t predicted = 0;
                                 for (const auto& row : m.confusion) predicted += row[i];
                                 return m.per_class[i].support == 0 && predicted == 0;
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

namespace {

bool is_word_char(unsigned char c) { return c < 0x80 && std::isalnum(c); }

// The tokens in text order, each coloured by its weight: blue for evidence for the label,
// red against, intensity relative to the text's heaviest token.
std::string coloured_tokens(const Explanation& e) {
  float heaviest = 1e-6f;
  for (const auto& t : e.tokens) heaviest = std::max(heaviest, std::fabs(t.weight));
  std::string out;
  for (size_t i = 0; i < e.tokens.size(); ++i) {
    const auto& t = e.tokens[i];
    // Word tokenizers drop spaces: put one back between two Latin words.
    if (i > 0 && !t.token.empty() && !e.tokens[i - 1].token.empty() &&
        is_word_char(static_cast<unsigned char>(e.tokens[i - 1].token.back())) &&
        is_word_char(static_cast<unsigned char>(t.token.front()))) {
      out += ' ';
    }
    const double share = t.weight / heaviest;
    const std::string color = blend_from_white(share >= 0 ? colors::kBlue : colors::kVermillion,
                                               0.85 * std::fabs(share));
    out += "<span class=\"tok" + std::string(t.known ? "" : " unk") + "\" style=\"background:" + color +
           (std::fabs(share) > 0.6 ? ";color:#fff" : "") + "\" title=\"" +
           escape_html((t.weight >= 0 ? "+" : "") + format_number(t.weight, 3) +
                       (t.known ? "" : " (not in the vocabulary)")) +
           "\">" + escape_html(t.token) + "</span>";
  }
  if (e.truncated) out += " <span class=\"muted\">… (the model reads no further)</span>";
  return out;
}

}  // namespace

std::string worst_examples_section(const ReportData& data) {
  if (!data.has_test) return {};
  const auto& labels = data.info.labels;
  if (data.test.worst.empty()) {
    return section("mistakes", "Mistakes", "<p class=\"note\">Every test text is classified correctly.</p>");
  }
  std::string body =
      "<p class=\"note\">The " + std::to_string(data.test.worst.size()) +
      " most confident mistakes (lowest probability of the true label). Words are coloured by how "
      "much the predicted label's probability drops without them (<code>fenlei explain</code>): "
      "<span class=\"scale\"></span> red against, blue for the predicted label. Hover a word for its "
      "weight; dotted words are not in the vocabulary.</p>";
  for (const auto& w : data.test.worst) {
    body += "<div class=\"example\"><div class=\"meta\"><span class=\"pill truth\">true: " +
            escape_html(labels[static_cast<size_t>(w.truth)]) + " " + format_number(w.truth_probability, 2) +
            "</span> <span class=\"pill pred\">predicted: " +
            escape_html(labels[static_cast<size_t>(w.predicted)]) + " " +
            format_number(w.predicted_probability, 2) + "</span></div><div class=\"text\">" +
            coloured_tokens(w.explanation) + "</div></div>";
  }
  return section("mistakes", "Mistakes", body);
}

std::string distributions_section(const ReportData& data) {
  const auto& labels = data.info.labels;
  const Json meta = metadata(data);
  std::vector<double> train_counts(labels.size(), NAN);
  bool have_train = false;
  if (meta.contains("training") && meta["training"].contains("data") &&
      meta["training"]["data"].contains("label_counts")) {
    const Json& lc = meta["training"]["data"]["label_counts"];
    for (size_t i = 0; i < labels.size(); ++i) {
      if (lc.contains(labels[i]) && lc[labels[i]].is_number()) {
        train_counts[i] = lc[labels[i]].get<double>();
        have_train = true;
      }
    }
  }
  std::vector<double> test_truth(labels.size(), 0), test_pred(labels.size(), 0);
  if (data.has_test) {
    for (size_t i = 0; i < data.test.truth.size(); ++i) {
      test_truth[static_cast<size_t>(data.test.truth[i])] += 1;
      test_pred[static_cast<size_t>(argmax(data.test.probabilities[i]))] += 1;
    }
  }
  if (!have_train && !data.has_test) return {};
  auto shares = [](const std::vector<double>& counts) {
    double sum = 0;
    for (double c : counts) sum += std::isfinite(c) ? c : 0;
    std::vector<double> out;
    for (double c : counts) out.push_back(sum > 0 && std::isfinite(c) ? c / sum : 0);
    return out;
  };
  BarChart chart{"Label distribution", {}, {}, {}, 0, true};
  std::vector<std::vector<double>> columns;
  if (have_train) chart.series_names.push_back("training"), chart.colors.push_back(colors::kGrey),
      columns.push_back(shares(train_counts));
  if (data.has_test) {
    chart.series_names.push_back("test (true)"), chart.colors.push_back(colors::kBlue);
    columns.push_back(shares(test_truth));
    chart.series_names.push_back("test (predicted)"), chart.colors.push_back(colors::kOrange);
    columns.push_back(shares(test_pred));
  }
  std::vector<size_t> order(labels.size());
  std::iota(order.begin(), order.end(), size_t{0});
  const auto& key = columns.front();
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] > key[b]; });
  const bool cut = order.size() > kMaxLabelRows;
  if (cut) order.resize(kMaxLabelRows);
  for (size_t i : order) {
    BarRow row{labels[i], {}, {}};
    for (const auto& c : columns) row.values.push_back(c[i]);
    if (have_train && std::isfinite(train_counts[i])) row.note = "n=" + format_number(train_counts[i], 9);
    chart.rows.push_back(row);
  }
  std::string body = "<h3>Labels</h3>" +
                     figure(bar_chart(chart), cut ? "The " + std::to_string(kMaxLabelRows) + " most frequent of " +
                                                        std::to_string(labels.size()) + " labels; n = training texts."
                                                  : "Shares of each label; n = training texts.");
  if (data.has_test && !data.test.lengths.empty()) {
    const auto edges = length_bin_edges(data.test.lengths, 24);
    std::vector<double> right, wrong;
    for (size_t i = 0; i < data.test.lengths.size(); ++i) {
      const bool ok = argmax(data.test.probabilities[i]) == data.test.truth[i];
      (ok ? right : wrong).push_back(static_cast<double>(data.test.lengths[i]));
    }
    Histogram h{"Text length", "characters per test text", "texts", edges, {"right", "wrong"},
                {colors::kBlue, colors::kVermillion}, {count_into_bins(right, edges), count_into_bins(wrong, edges)}};
    std::string length_note;
    if (meta.contains("training") && meta["training"].contains("data") &&
        meta["training"]["data"].contains("token_length")) {
      const Json& tl = meta["training"]["data"]["token_length"];
      length_note = " Training texts, in tokens: median " + json_text(tl.value("median", Json())) +
                    ", 95th percentile " + json_text(tl.value("p95", Json())) + ", longest " +
                    json_text(tl.value("max", Json())) + "; the model reads " +
                    std::to_string(data.info.max_len) + ".";
    }
    body += "<h3>Text lengths</h3>" + figure(histogram(h), "Test texts by length, right and wrong." + length_note);
  }
  return section("data", "Data", body);
}

}  // namespace fenlei::report
