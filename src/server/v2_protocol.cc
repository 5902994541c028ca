#include "server/v2_protocol.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "text/utf8.h"
#include "fenlei/version.h"
#include "server/json_codec.h"

namespace fenlei::server {
namespace {

using nlohmann::json;

constexpr const char* kHint =
    R"(; send {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [n], "data": ["text", ...]}]})";

const std::vector<std::string>& known_outputs() {
  static const std::vector<std::string> names = {"label", "probabilities", "top_k_labels",
                                                 "top_k_scores"};
  return names;
}

Status bad(const std::string& message) { return invalid_argument_error(message + kHint); }

// Appends the strings of `data` (nested arrays flattened, as a [n, 1] tensor may be sent).
Status flatten_strings(json& data, std::vector<std::string>* out, int depth) {
  if (depth > 2) return bad("input \"text\" has too many dimensions");
  for (auto& element : data) {
    if (element.is_array()) {
      FENLEI_RETURN_IF_ERROR(flatten_strings(element, out, depth + 1));
    } else if (element.is_string()) {
      if (out->size() >= kMaxV2Batch) {
        return bad("a batch holds at most " + std::to_string(kMaxV2Batch) + " texts");
      }
      out->push_back(std::move(element.get_ref<std::string&>()));
    } else {
      return bad(std::string("BYTES data must be strings, got ") + element.type_name());
    }
  }
  return Status();
}

json tensor(std::string_view name, const char* datatype, std::vector<size_t> shape, json data) {
  return json{{"name", name}, {"datatype", datatype}, {"shape", std::move(shape)},
              {"data", std::move(data)}};
}

}  // namespace

StatusOr<V2InferRequest> parse_v2_infer_request(std::string_view body) {
  const size_t invalid = utf8::find_invalid(body);
  if (invalid != std::string_view::npos) {
    return bad("request body is not valid UTF-8 (byte " + std::to_string(invalid) + ")");
  }
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("malformed JSON");
  if (!doc.is_object()) return bad(std::string("the body must be a JSON object, got ") + doc.type_name());
  V2InferRequest request;
  if (auto id = doc.find("id"); id != doc.end()) {
    if (!id->is_string()) return bad("\"id\" must be a string");
    request.id = id->get<std::string>();
  }
  if (auto params = doc.find("parameters"); params != doc.end()) {
    if (!params->is_object()) return bad("\"parameters\" must be an object");
    if (auto k = params->find("top_k"); k != params->end()) {
      if (!k->is_number_integer() || k->get<long long>() < 1 || k->get<long long>() > kMaxRequestK) {
        return bad("parameters.top_k must be an integer from 1 to " + std::to_string(kMaxRequestK));
      }
      request.top_k = static_cast<int>(k->get<long long>());
    }
  }
  auto inputs = doc.find("inputs");
  if (inputs == doc.end() || !inputs->is_array() || inputs->size() != 1) {
    return bad("\"inputs\" must be an array with exactly one tensor");
  }
  json& input = (*inputs)[0];
  if (!input.is_object()) return bad("inputs[0] must be an object");
  const json name = input.value("name", json());
  if (!name.is_string() || name.get<std::string>() != "text") {
    return bad("the model's only input is \"text\", got " + name.dump());
  }
  const json datatype = input.value("datatype", json());
  if (!datatype.is_string() || datatype.get<std::string>() != "BYTES") {
    return bad("input \"text\" has datatype BYTES, got " + datatype.dump());
  }
  const json shape = input.value("shape", json());
  if (!shape.is_array() || shape.empty() || shape.size() > 2) {
    return bad("input \"text\" needs a shape [n] or [n, 1], got " + shape.dump());
  }
  size_t elements = 1;
  for (const auto& dim : shape) {
    if (!dim.is_number_integer() || dim.get<long long>() < 1 ||
        dim.get<long long>() > static_cast<long long>(kMaxV2Batch)) {
      return bad("input \"text\" has a bad shape " + shape.dump());
    }
    elements *= static_cast<size_t>(dim.get<long long>());
  }
  if (shape.size() == 2 && shape[1].get<long long>() != 1) {
    return bad("input \"text\" needs a shape [n] or [n, 1], got " + shape.dump());
  }
  if (input.contains("parameters") && input["parameters"].is_object() &&
      input["parameters"].contains("binary_data_size")) {
    return bad("the binary tensor data extension is not supported; send the texts as JSON");
  }
  auto data = input.find("data");
  if (data == input.end() || !data->is_array()) return bad("input \"text\" needs a \"data\" array");
  FENLEI_RETURN_IF_ERROR(flatten_strings(*data, &request.texts, 1));
  if (request.texts.empty()) return bad("input \"text\" is empty");
  if (request.texts.size() != elements) {
    return bad("input \"text\" has shape " + shape.dump() + " but " +
               std::to_string(request.texts.size()) + " strings");
  }
  if (auto outputs = doc.find("outputs"); outputs != doc.end()) {
    if (!outputs->is_array()) return bad("\"outputs\" must be an array");
    for (const auto& output : *outputs) {
      const json out_name = output.is_object() ? output.value("name", json()) : json();
      const auto& known = known_outputs();
      if (!out_name.is_string() ||
          std::find(known.begin(), known.end(), out_name.get<std::string>()) == known.end()) {
        return bad("unknown output " + out_name.dump() +
                   "; the model has label, probabilities, top_k_labels and top_k_scores");
      }
      request.outputs.push_back(out_name.get<std::string>());
    }
  }
  const bool wants_top_k =
      std::find_if(request.outputs.begin(), request.outputs.end(), [](const std::string& o) {
        return o.rfind("top_k_", 0) == 0;
      }) != request.outputs.end();
  if (wants_top_k && request.top_k == 0) {
    return bad("outputs top_k_labels and top_k_scores need parameters.top_k");
  }
  if (request.outputs.empty()) {
    request.outputs = {"label", "probabilities"};
    if (request.top_k > 0) {
      request.outputs.push_back("top_k_labels");
      request.outputs.push_back("top_k_scores");
    }
  }
  return request;
}

std::string write_v2_infer_response(const V2InferRequest& request,
                                    const std::vector<Prediction>& predictions,
                                    const std::vector<std::string>& labels,
                                    std::string_view model_name, std::string_view version) {
  const size_t n = predictions.size();
  const size_t classes = labels.size();
  const size_t k = std::min(static_cast<size_t>(std::max(request.top_k, 0)), classes);
  json outputs = json::array();
  for (const std::string& name : request.outputs) {
    if (name == "label") {
      json data = json::array();
      for (const auto& p : predictions) data.push_back(p.label);
      outputs.push_back(tensor(name, "BYTES", {n}, std::move(data)));
    } else if (name == "probabilities") {
      std::vector<float> probabilities(n * classes, 0.0f);
      for (size_t i = 0; i < n; ++i) {
        for (const auto& scored : predictions[i].top_k) {
          const auto at = std::find(labels.begin(), labels.end(), scored.label);
          if (at != labels.end()) probabilities[i * classes + static_cast<size_t>(at - labels.begin())] = scored.score;
        }
      }
      outputs.push_back(tensor(name, "FP32", {n, classes}, probabilities));
    } else if (name == "top_k_labels" || name == "top_k_scores") {
      json data = json::array();
      for (const auto& p : predictions) {
        for (size_t j = 0; j < k; ++j) {
          if (name == "top_k_labels") {
            data.push_back(j < p.top_k.size() ? p.top_k[j].label : std::string());
          } else {
            data.push_back(j < p.top_k.size() ? p.top_k[j].score : 0.0f);
          }
        }
      }
      outputs.push_back(tensor(name, name == "top_k_labels" ? "BYTES" : "FP32", {n, k},
                               std::move(data)));
    }
  }
  json reply = {{"model_name", model_name}, {"model_version", version}, {"outputs", outputs}};
  if (!request.id.empty()) reply["id"] = request.id;
  return reply.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string write_v2_model_metadata(std::string_view model_name, std::string_view version,
                                    const ModelInfo& info) {
  const long long classes = static_cast<long long>(info.labels.size());
  json reply = {
      {"name", model_name},
      {"versions", {version}},
      {"platform", "fenlei"},
      {"inputs", {{{"name", "text"}, {"datatype", "BYTES"}, {"shape", {-1}}}}},
      {"outputs",
       {{{"name", "label"}, {"datatype", "BYTES"}, {"shape", {-1}}},
        {{"name", "probabilities"}, {"datatype", "FP32"}, {"shape", {-1, classes}}},
        {{"name", "top_k_labels"}, {"datatype", "BYTES"}, {"shape", {-1, -1}}},
        {{"name", "top_k_scores"}, {"datatype", "FP32"}, {"shape", {-1, -1}}}}},
      {"labels", info.labels},
      {"parameters", {{"architecture", info.architecture}, {"quantized", info.quantized}}},
  };
  return reply.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string write_v2_server_metadata() {
  json reply = {{"name", "fenlei"},
                {"version", FENLEI_VERSION_STRING},
                {"extensions", json::array()}};
  return reply.dump();
}

}  // namespace fenlei::server
