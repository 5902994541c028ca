#include "text/normalize_json.h"

#include <utility>
#include <vector>

namespace fenlei::text {
namespace {

// One table drives both directions so a new option cannot be added to only one of them.
std::vector<std::pair<const char*, bool NormalizeOptions::*>> fields() {
  return {{"fullwidth_to_halfwidth", &NormalizeOptions::fullwidth_to_halfwidth},
          {"lowercase", &NormalizeOptions::lowercase},
          {"collapse_whitespace", &NormalizeOptions::collapse_whitespace},
          {"traditional_to_simplified", &NormalizeOptions::traditional_to_simplified}};
}

}  // namespace

nlohmann::json to_json(const NormalizeOptions& options) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, member] : fields()) j[name] = options.*member;
  return j;
}

StatusOr<NormalizeOptions> normalize_options_from_json(const nlohmann::json& j) {
  if (!j.is_object()) {
    return invalid_argument_error("normalize options: expected a JSON object, got " +
                                  std::string(j.type_name()));
  }
  NormalizeOptions options;
  const auto table = fields();
  for (const auto& item : j.items()) {
    bool known = false;
    for (const auto& [name, member] : table) {
      if (item.key() != name) continue;
      known = true;
      if (!item.value().is_boolean()) {
        return invalid_argument_error("normalize options: '" + item.key() +
                                      "' must be true or false, got " + item.value().dump());
      }
      options.*member = item.value().get<bool>();
    }
    if (!known) {
      return invalid_argument_error("normalize options: unknown option '" + item.key() +
                                    "' (written by a newer fenlei?)");
    }
  }
  return options;
}

}  // namespace fenlei::text
