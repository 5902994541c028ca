// The Open Inference Protocol v2 (KServe v2 / Triton HTTP/REST) as JSON: parsing an infer request
// into texts, writing the infer response and the model and server metadata. A fenlei model has one
// input and three outputs:
//
//   input   text           BYTES  [batch]       (shape [batch, 1] is accepted too)
//   output  label          BYTES  [batch]       the most probable label
//           probabilities  FP32   [batch, C]    every label's probability, in the model's order
//           top_k_labels / top_k_scores  BYTES / FP32  [batch, k], only with parameters.top_k
//
// The binary tensor data extension (Triton's, what tritonclient sends by default) is supported:
// the `Inference-Header-Content-Length: N` header says the body's first N bytes are the JSON and
// the rest is raw tensor data, which an input claims with `parameters.binary_data_size` instead of
// `data`. BYTES elements are a 4-byte little-endian length and the bytes; FP32 is little-endian.
// Outputs asked for with `parameters.binary_data: true` (or all of them, with the request's
// `parameters.binary_data_output: true`) come back the same way, after the response's JSON.
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
  // Parallel to `outputs`: send that output as binary data after the JSON.
  std::vector<bool> binary_outputs;
};

// What write_v2_infer_response makes: the body, and when some output is binary, the length of its
// JSON part (the response's Inference-Header-Content-Length; 0 when every output is JSON).
struct V2InferResponse {
  std::string body;
  size_t json_size = 0;
};

// The response header that carries the JSON part's length, both ways (lower-cased as the request
// parser stores header names).
constexpr const char* kInferenceHeaderLength = "Inference-Header-Content-Length";
constexpr const char* kInferenceHeaderLengthLower = "inference-header-content-length";

// Largest batch one infer request may carry.
constexpr size_t kMaxV2Batch = 4096;

// INVALID_ARGUMENT with a message saying what to send, for: non-UTF-8 or malformed JSON; no
// "inputs", an input other than "text", a datatype other than BYTES, a shape that is not [n] or
// [n, 1] or that does not match the data, data that is not strings, an empty or over-large batch;
// a "top_k" that is not a positive integer; a requested output the model does not have.
// `header_length` is the Inference-Header-Content-Length header's value ("" when absent). With it,
// also for: a value that is not a number within the body; binary data that no input claims or
// that an input's binary_data_size overruns; an element length past the end; binary texts that are
// not UTF-8. Lengths are checked against the bytes present before anything is allocated.
StatusOr<V2InferRequest> parse_v2_infer_request(std::string_view body,
                                                std::string_view header_length = {});

// The infer response. `predictions` were made with k = every label, threshold 0.
V2InferResponse write_v2_infer_response(const V2InferRequest& request,
                                    const std::vector<Prediction>& predictions,
                                    const std::vector<std::string>& labels,
                                    std::string_view model_name, std::string_view version);

// GET /v2/models/{name}: name, versions, platform, inputs, outputs and the label names.
std::string write_v2_model_metadata(std::string_view model_name, std::string_view version,
                                    const ModelInfo& info);

// GET /v2: server name, version and extensions.
std::string write_v2_server_metadata();

}  // namespace fenlei::server
