#include "eval/metrics_json.h"

namespace fenlei::eval {

nlohmann::json metrics_to_json(const Metrics& m) {
  nlohmann::json per_class = nlohmann::json::array();
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& c : m.per_class) {
    per_class.push_back({{"label", c.label},
                         {"precision", c.precision},
                         {"recall", c.recall},
                         {"f1", c.f1},
                         {"support", c.support}});
    labels.push_back(c.label);
  }
  // Every non-zero cell as [true, predicted, count]; the dense matrix as well while it is small
  // (it has k * k numbers: 10,000 labels would make it 100 million).
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : m.confusion.entries()) entries.push_back({e.truth, e.predicted, e.count});
  nlohmann::json confusion = {{"labels", labels}, {"entries", entries}};
  if (m.confusion.size() <= kMaxDenseJsonLabels) confusion["matrix"] = m.confusion.dense();
  return {{"n", m.n},
          {"loss", m.loss},
          {"accuracy", m.accuracy},
          {"macro_f1", m.macro_f1},
          {"weighted_f1", m.weighted_f1},
          {"macro_precision", m.macro_precision},
          {"macro_recall", m.macro_recall},
          {"weighted_precision", m.weighted_precision},
          {"weighted_recall", m.weighted_recall},
          {"per_class", per_class},
          {"confusion", confusion}};
}

}  // namespace fenlei::eval
