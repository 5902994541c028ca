#include "report/collect.h"

#include <cmath>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "text/utf8.h"
#include "report/analysis.h"

namespace fenlei::report {
namespace {

using Json = nlohmann::json;

double number(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

// An epoch number that fits an int (a corrupt or hand-edited line must not overflow the cast).
bool has_epoch(const Json& j) {
  const double e = number(j, "epoch");
  return std::isfinite(e) && e >= 0 && e <= 1e9;
}

EpochRow row_from_json(const Json& j) {
  EpochRow r;
  r.epoch = static_cast<int>(number(j, "epoch"));
  r.train_loss = number(j, "train_loss");
  r.train_accuracy = number(j, "train_accuracy");
  r.valid_loss = number(j, "valid_loss");
  r.valid_accuracy = number(j, "valid_accuracy");
  r.lr = number(j, "lr");
  r.examples_per_second = number(j, "examples_per_second");
  return r;
}

}  // namespace

std::vector<EpochRow> history_from_metadata(const std::string& metadata_json, int* kept_epoch) {
  std::vector<EpochRow> rows;
  *kept_epoch = 0;
  const Json meta = Json::parse(metadata_json, nullptr, false);
  if (!meta.is_object() || !meta.contains("training") || !meta["training"].is_object()) return rows;
  const Json& t = meta["training"];
  if (t.contains("history") && t["history"].is_array()) {
    for (const auto& j : t["history"]) {
      if (j.is_object() && has_epoch(j)) rows.push_back(row_from_json(j));
    }
  }
  const bool restored = !t.contains("options") || !t["options"].is_object() ||
                        t["options"].value("restore_best", true);
  if (restored && t.contains("best_epoch") && t["best_epoch"].is_number_integer()) {
    *kept_epoch = t["best_epoch"].get<int>();
  } else if (!rows.empty()) {
    *kept_epoch = rows.back().epoch;
  }
  return rows;
}

StatusOr<std::vector<EpochRow>> parse_training_log(const std::string& content, const std::string& name) {
  std::map<int, EpochRow> by_epoch;
  std::istringstream in(content);
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const Json j = Json::parse(line, nullptr, false);
    if (!j.is_object() || !has_epoch(j)) {
      return invalid_argument_error(name + ":" + std::to_string(line_no) +
                                    ": not a training log line (expected a JSON object with "
                                    "\"epoch\", as `fenlei train --log` writes)");
    }
    const EpochRow r = row_from_json(j);
    by_epoch[r.epoch] = r;
  }
  if (by_epoch.empty()) return invalid_argument_error(name + ": the training log has no epochs");
  std::vector<EpochRow> rows;
  for (const auto& [epoch, r] : by_epoch) rows.push_back(r);
  return rows;
}

StatusOr<TestResults> evaluate_test_set(const Classifier& model, const data::Dataset& dataset,
                                        const std::string& path, const CollectOptions& options) {
  const auto& labels = model.info().labels;
  FENLEI_ASSIGN_OR_RETURN(std::vector<int> truth, data::label_ids(dataset, labels, path));
  TestResults out;
  out.path = path;
  out.truth = std::move(truth);
  std::vector<std::string> texts;
  texts.reserve(dataset.examples.size());
  for (const auto& e : dataset.examples) {
    texts.push_back(e.text);
    out.lengths.push_back(utf8::length(e.text));
  }
  FENLEI_ASSIGN_OR_RETURN(out.probabilities, model.probabilities(texts));
  for (size_t i : worst_examples(out.truth, out.probabilities, options.worst_examples)) {
    WorstExample w;
    w.text = texts[i];
    w.truth = out.truth[i];
    w.predicted = argmax(out.probabilities[i]);
    w.truth_probability = out.probabilities[i][static_cast<size_t>(w.truth)];
    w.predicted_probability = out.probabilities[i][static_cast<size_t>(w.predicted)];
    FENLEI_ASSIGN_OR_RETURN(w.explanation, model.explain(w.text));
    out.worst.push_back(std::move(w));
  }
  return out;
}

}  // namespace fenlei::report
