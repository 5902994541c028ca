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
          {"confusion", {{"labels", labels}, {"matrix", m.confusion}}}};
}

}  // namespace fenlei::eval
