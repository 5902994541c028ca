// NormalizeOptions <-> JSON, for the model file's metadata. Internal (keeps nlohmann out of the
// public headers).
#pragma once

#include <nlohmann/json.hpp>

#include "text/normalize.h"
#include "fenlei/status.h"

namespace fenlei::text {

// {"fullwidth_to_halfwidth": false, "lowercase": true, "collapse_whitespace": true,
//  "traditional_to_simplified": false}
nlohmann::json to_json(const NormalizeOptions& options);

// Missing keys keep their default (false), so older files stay readable. Unknown keys and
// non-boolean values are INVALID_ARGUMENT: silently ignoring a normalisation step written by a
// newer fenlei would change predictions without warning.
StatusOr<NormalizeOptions> normalize_options_from_json(const nlohmann::json& j);

}  // namespace fenlei::text
