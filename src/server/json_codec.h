// The predict API's JSON: parses {"instances": [...], "k": N, "threshold": X} once, and writes
// predictions and errors directly into a string (no DOM on the way out, one allocation per reply).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fenlei/classifier.h"
#include "fenlei/status.h"

namespace fenlei::server {

struct PredictRequest {
  std::vector<std::string> instances;
  PredictOptions options;
  bool columnar = false;  // sent as TF Serving's "inputs" (answered as "outputs")
  bool k_given = false, threshold_given = false;  // else the model's defaults apply
  // Fills what the request left out from default_predict_options(info).
  void apply_model_defaults(const ModelInfo& info) {
    const PredictOptions d = default_predict_options(info);
    if (!k_given) options.k = d.k;
    if (!threshold_given) options.threshold = d.threshold;
  }
};

// Largest `k` a request may ask for; the model clamps it to its label count anyway.
constexpr int kMaxRequestK = 1000;

// Also takes TF Serving's columnar form, {"inputs": [...]} or {"inputs": {"name": [...]}}.
// INVALID_ARGUMENT, with a message that says what to send instead, for: a body that is not UTF-8,
// malformed JSON, a non-object, missing/empty/non-array "instances", a non-string instance,
// a "k" that is not an integer in [1, kMaxRequestK], a "threshold" that is not a number in [0, 1].
StatusOr<PredictRequest> parse_predict_request(std::string_view body);

// Keeps the first `k` entries of prediction.top_k whose score is >= threshold (top_k is sorted best
// first), so one batch run with the largest k serves requests that asked for different k.
void trim_prediction(Prediction& prediction, const PredictOptions& options);

// {"predictions": [{"label": ..., "score": ..., "top_k": [{"label": ..., "score": ...}]}, ...]}
std::string write_predictions(const std::vector<Prediction>& predictions);
// The columnar answer to an "inputs" request:
// {"outputs": {"label": [...], "score": [...], "top_k": [[{"label": ..., "score": ...}], ...]}}
std::string write_predictions_columnar(const std::vector<Prediction>& predictions);

// Appends `s` as a JSON string literal (quotes included); `s` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view s);
// Appends the shortest decimal form that reads back as the same float (0.97f -> 0.97); NaN and
// infinities, which JSON cannot carry, become null.
void append_json_float(std::string& out, float value);

struct ExplainRequest {
  std::vector<std::string> instances;
  ExplainOptions options;
};

// Most instances one explain request may carry: each costs (tokens + 1) model passes.
constexpr size_t kMaxExplainInstances = 32;

// {"instances": [...], "label": "..."} ("label" optional). INVALID_ARGUMENT as for predict, and
// for more than kMaxExplainInstances instances or a "label" that is not a string.
StatusOr<ExplainRequest> parse_explain_request(std::string_view body);

// {"explanations": [{"label", "score", "truncated", "tokens": [{"token", "weight", "known"}]}]}
std::string write_explanations(const std::vector<Explanation>& explanations);

// {"error": message}
std::string error_json(std::string_view message);

}  // namespace fenlei::server
