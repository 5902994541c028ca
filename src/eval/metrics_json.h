// Metrics -> JSON for `fenlei test --json` and training logs. Internal header (keeps nlohmann out
// of the public API).
#pragma once

#include <nlohmann/json.hpp>

#include "fenlei/metrics.h"

namespace fenlei::eval {

// {"n", "loss", "accuracy", "macro_f1", "weighted_f1",
//  "per_class": [{"label", "precision", "recall", "f1", "support"}],
//  "confusion": {"labels": [...], "entries": [[true, predicted, count], ...],
//                "matrix": [[...]]}}   (matrix rows = true label; only up to kMaxDenseJsonLabels)
// Its size grows with the labels and the non-zero cells, never with labels squared.
constexpr size_t kMaxDenseJsonLabels = 100;
nlohmann::json metrics_to_json(const Metrics& metrics);

}  // namespace fenlei::eval
