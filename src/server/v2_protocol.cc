#include "server/v2_protocol.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

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

// The binary-data extension's JSON length header: decimal digits, at most the body's size.
StatusOr<size_t> parse_header_length(std::string_view value, size_t body_size) {
  size_t n = 0;
  bool digits = !value.empty();
  for (char ch : value) {
    if (ch < '0' || ch > '9' || n > body_size) {
      digits = false;
      break;
    }
    n = n * 10 + static_cast<size_t>(ch - '0');
  }
  if (!digits || n > body_size) {
    return bad(std::string(kInferenceHeaderLength) + " must be the length of the JSON at the "
               "start of the body (" + std::to_string(body_size) + " bytes), got \"" +
               std::string(value.substr(0, 32)) + "\"");
  }
  return n;
}

// BYTES binary data: each element is a 4-byte little-endian length and that many bytes. Every
// length is checked against the bytes that are really there before a string is made.
Status decode_bytes_elements(std::string_view data, std::vector<std::string>* out) {
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t element = out->size();
    if (data.size() - pos < 4) {
      return bad("input \"text\": the binary data ends inside the 4-byte length of element " +
                 std::to_string(element));
    }
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + pos);
    const uint32_t length = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                            static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
    pos += 4;
    if (length > data.size() - pos) {
      return bad("input \"text\": element " + std::to_string(element) + " says " +
                 std::to_string(length) + " bytes but only " + std::to_string(data.size() - pos) +
                 " follow in its binary_data_size");
    }
    if (element >= kMaxV2Batch) {
      return bad("a batch holds at most " + std::to_string(kMaxV2Batch) + " texts");
    }
    const std::string_view text = data.substr(pos, length);
    const size_t invalid = utf8::find_invalid(text);
    if (invalid != std::string_view::npos) {
      return bad("input \"text\": element " + std::to_string(element) +
                 " is not valid UTF-8 (byte " + std::to_string(invalid) + ")");
    }
    out->emplace_back(text);
    pos += length;
  }
  return Status();
}

void append_le32(std::string* out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
                         static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 24) & 0xff)};
  out->append(bytes, 4);
}

void append_bytes_element(std::string* out, std::string_view s) {
  append_le32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

void append_fp32(std::string* out, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  append_le32(out, bits);
}

// One output tensor: `data` in the JSON, or, when `binary` is set, its bytes appended to
// `binary_part` and only their length in the JSON.
json tensor(std::string_view name, const char* datatype, std::vector<size_t> shape, json data,
            const std::string* binary, std::string* binary_part) {
  json t{{"name", name}, {"datatype", datatype}, {"shape", std::move(shape)}};
  if (binary) {
    t["parameters"] = {{"binary_data_size", binary->size()}};
    binary_part->append(*binary);
  } else {
    t["data"] = std::move(data);
  }
  return t;
}

}  // namespace

StatusOr<V2InferRequest> parse_v2_infer_request(std::string_view body,
                                                std::string_view header_length) {
  // With the binary-data extension, only the first part is JSON; the rest is raw tensor data.
  std::string_view binary;
  if (!header_length.empty()) {
    FENLEI_ASSIGN_OR_RETURN(const size_t json_size, parse_header_length(header_length, body.size()));
    binary = body.substr(json_size);
    body = body.substr(0, json_size);
  }
  const size_t invalid = utf8::find_invalid(body);
  if (invalid != std::string_view::npos) {
    return bad("request body is not valid UTF-8 (byte " + std::to_string(invalid) + ")");
  }
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("malformed JSON");
  if (!doc.is_object()) return bad(std::string("the body must be a JSON object, got ") + doc.type_name());
  V2InferRequest request;
  bool binary_default = false;
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
    if (auto b = params->find("binary_data_output"); b != params->end()) {
      if (!b->is_boolean()) return bad("parameters.binary_data_output must be true or false");
      binary_default = b->get<bool>();
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
  const json* binary_size = nullptr;
  if (auto params = input.find("parameters"); params != input.end()) {
    if (!params->is_object()) return bad("inputs[0].parameters must be an object");
    if (auto size = params->find("binary_data_size"); size != params->end()) binary_size = &*size;
  }
  auto data = input.find("data");
  if (binary_size) {
    if (header_length.empty()) {
      return bad(std::string("input \"text\" has binary_data_size but the request has no ") +
                 kInferenceHeaderLength + " header saying where its JSON ends");
    }
    if (data != input.end()) return bad("input \"text\" has both \"data\" and binary_data_size");
    if (!binary_size->is_number_unsigned() ||
        binary_size->get<unsigned long long>() > binary.size()) {
      return bad("input \"text\" has binary_data_size " + binary_size->dump() + " but " +
                 std::to_string(binary.size()) + " bytes follow the JSON");
    }
    const auto size = static_cast<size_t>(binary_size->get<unsigned long long>());
    FENLEI_RETURN_IF_ERROR(decode_bytes_elements(binary.substr(0, size), &request.texts));
    binary.remove_prefix(size);
  } else {
    if (data == input.end() || !data->is_array()) return bad("input \"text\" needs a \"data\" array");
    FENLEI_RETURN_IF_ERROR(flatten_strings(*data, &request.texts, 1));
  }
  if (!binary.empty()) {
    return bad(std::to_string(binary.size()) + " bytes of binary data follow the JSON but no "
               "input claims them with parameters.binary_data_size");
  }
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
      bool binary_output = binary_default;
      if (auto params = output.find("parameters"); params != output.end()) {
        if (!params->is_object()) return bad("outputs[].parameters must be an object");
        if (auto b = params->find("binary_data"); b != params->end()) {
          if (!b->is_boolean()) return bad("outputs[].parameters.binary_data must be true or false");
          binary_output = b->get<bool>();
        }
      }
      request.outputs.push_back(out_name.get<std::string>());
      request.binary_outputs.push_back(binary_output);
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
    request.binary_outputs.assign(request.outputs.size(), binary_default);
  }
  return request;
}

V2InferResponse write_v2_infer_response(const V2InferRequest& request,
                                        const std::vector<Prediction>& predictions,
                                        const std::vector<std::string>& labels,
                                        std::string_view model_name, std::string_view version) {
  const size_t n = predictions.size();
  const size_t classes = labels.size();
  const size_t k = std::min(static_cast<size_t>(std::max(request.top_k, 0)), classes);
  json outputs = json::array();
  std::string binary_part;
  for (size_t o = 0; o < request.outputs.size(); ++o) {
    const std::string& name = request.outputs[o];
    const bool binary = o < request.binary_outputs.size() && request.binary_outputs[o];
    std::string raw;  // the tensor's bytes, when binary
    json data = json::array();
    if (name == "label") {
      for (const auto& p : predictions) {
        if (binary) {
          append_bytes_element(&raw, p.label);
        } else {
          data.push_back(p.label);
        }
      }
      outputs.push_back(tensor(name, "BYTES", {n}, std::move(data), binary ? &raw : nullptr,
                               &binary_part));
    } else if (name == "probabilities") {
      std::vector<float> probabilities(n * classes, 0.0f);
      for (size_t i = 0; i < n; ++i) {
        for (const auto& scored : predictions[i].top_k) {
          const auto at = std::find(labels.begin(), labels.end(), scored.label);
          if (at != labels.end()) probabilities[i * classes + static_cast<size_t>(at - labels.begin())] = scored.score;
        }
      }
      if (binary) {
        raw.reserve(probabilities.size() * 4);
        for (float f : probabilities) append_fp32(&raw, f);
      } else {
        data = probabilities;
      }
      outputs.push_back(tensor(name, "FP32", {n, classes}, std::move(data),
                               binary ? &raw : nullptr, &binary_part));
    } else if (name == "top_k_labels" || name == "top_k_scores") {
      const bool labels_wanted = name == "top_k_labels";
      for (const auto& p : predictions) {
        for (size_t j = 0; j < k; ++j) {
          if (labels_wanted) {
            const std::string& label = j < p.top_k.size() ? p.top_k[j].label : std::string();
            if (binary) {
              append_bytes_element(&raw, label);
            } else {
              data.push_back(label);
            }
          } else {
            const float score = j < p.top_k.size() ? p.top_k[j].score : 0.0f;
            if (binary) {
              append_fp32(&raw, score);
            } else {
              data.push_back(score);
            }
          }
        }
      }
      outputs.push_back(tensor(name, labels_wanted ? "BYTES" : "FP32", {n, k}, std::move(data),
                               binary ? &raw : nullptr, &binary_part));
    }
  }
  json reply = {{"model_name", model_name}, {"model_version", version}, {"outputs", outputs}};
  if (!request.id.empty()) reply["id"] = request.id;
  V2InferResponse response;
  response.body = reply.dump(-1, ' ', false, json::error_handler_t::replace);
  const bool any_binary = std::find(request.binary_outputs.begin(), request.binary_outputs.end(),
                                    true) != request.binary_outputs.end();
  if (any_binary) {
    response.json_size = response.body.size();
    response.body += binary_part;
  }
  return response;
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
      {"parameters",
       {{"architecture", info.architecture},
        {"quantized", info.quantized},
        {"precision", info.precision}}},
  };
  return reply.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string write_v2_server_metadata() {
  json reply = {{"name", "fenlei"},
                {"version", FENLEI_VERSION_STRING},
                {"extensions", json::array({"binary_tensor_data"})}};
  return reply.dump();
}

}  // namespace fenlei::server
