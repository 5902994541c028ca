// The Open Inference Protocol v2 (KServe v2 / Triton HTTP/REST) as JSON: parsing an infer request
// into texts, writing the infer response and the model and server metadata. A fenlei model has one
// input and three outputs:
//
//   input   text           BYTES  [batch]       (shape [batch, 1] is accepted too)
//   output  label          BYTES  [batch]       the most probable label
//           probabilities  FP32   [batch, C]    every label's probability, in the model's order
//           top_k_labels / top_k_scores  BYTES / FP32  [batch, k], only with parameters.top_k
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fenlei/classifier.h"
#include "fenlei/status.h"

namespace fenlei::server {

struct V2InferRequest {
  std::string id;  // echoed in the response when set
  std::vector<std::string> texts;
  int top_k = 0;  // 0: no top_k outputs
  // Outputs to return, in order; every output when the request names none.
  std::vector<std::string> outputs;
};

// Largest batch one infer request may carry.
constexpr size_t kMaxV2Batch = 4096;

// INVALID_ARGUMENT with a message saying what to send, for: non-UTF-8 or malformed JSON; no
// "inputs", an input other than "text", a datatype other than BYTES, a shape that is not [n] or
// [n, 1] or that does not match the data, data that is not strings, an empty or over-large batch;
// a "top_k" that is not a positive integer; a requested output the model does not have.
StatusOr<V2InferRequest> parse_v2_infer_request(std::string_view body);

// The infer response. `predictions` were made with k = every label, threshold 0.
std::string write_v2_infer_response(const V2InferRequest& request,
                                    const std::vector<Prediction>& predictions,
                                    const std::vector<std::string>& labels,
                                    std::string_view model_name, std::string_view version);

// GET /v2/models/{name}: name, versions, platform, inputs, outputs and the label names.
std::string write_v2_model_metadata(std::string_view model_name, std::string_view version,
                                    const ModelInfo& info);

// GET /v2: server name, version and extensions.
std::string write_v2_server_metadata();

}  // namespace fenlei::server
