#include "server/json_codec.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "text/utf8.h"
#include "server/http_types.h"

namespace fenlei::server {
namespace {

constexpr const char* kExpected =
    R"(; send {"instances": ["text", ...]} (or {"inputs": [...]}) with optional "k" and "threshold")";

const char* type_name(const nlohmann::json& j) { return j.type_name(); }

}  // namespace

namespace {

// The part of both requests that is the same: a UTF-8 JSON object with a non-empty "instances"
// array of strings. `expected` ends every message with what to send instead.
Status parse_instances(std::string_view body, const char* expected, nlohmann::json* doc,
                       std::vector<std::string>* instances, bool* columnar = nullptr) {
  // Checked before parsing so the client learns where the bad byte is, not just "parse error".
  const size_t bad = utf8::find_invalid(body);
  if (bad != std::string_view::npos) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(body[bad]));
    return invalid_argument_error("request body is not valid UTF-8 (byte " + std::to_string(bad) +
                                  " is " + hex + "); encode the texts as UTF-8");
  }
  if (body.empty()) return invalid_argument_error(std::string("empty request body") + expected);
  try {
    *doc = nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ..."
    std::string what = e.what();
    const size_t pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    return invalid_argument_error("malformed JSON: " + what + expected);
  }
  if (!doc->is_object()) {
    return invalid_argument_error(std::string("request body must be a JSON object, got ") +
                                  type_name(*doc) + expected);
  }
  nlohmann::json* list = nullptr;
  if (auto found = doc->find("instances"); found != doc->end()) {
    list = &*found;
  } else if (auto inputs = doc->find("inputs"); inputs != doc->end() && columnar) {
    // TF Serving's columnar form: "inputs": [texts] or "inputs": {"<input name>": [texts]}.
    *columnar = true;
    list = &*inputs;
    if (list->is_object()) {
      if (list->size() != 1) {
        return invalid_argument_error("\"inputs\" as an object must name exactly one input" +
                                      std::string(expected));
      }
      list = &list->begin().value();
    }
  }
  if (!list) return invalid_argument_error(std::string("missing \"instances\"") + expected);
  auto* it = list;
  if (!it->is_array()) {
    return invalid_argument_error(std::string("\"instances\" must be an array of strings, got ") +
                                  type_name(*it) + expected);
  }
  if (it->empty()) return invalid_argument_error(std::string("\"instances\" is empty") + expected);
  instances->reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    auto& element = (*it)[i];
    if (!element.is_string()) {
      return invalid_argument_error("instances[" + std::to_string(i) + "] must be a string, got " +
                                    type_name(element) + expected);
    }
    instances->push_back(std::move(element.get_ref<std::string&>()));
  }
  return Status();
}

}  // namespace

StatusOr<PredictRequest> parse_predict_request(std::string_view body) {
  nlohmann::json doc;
  PredictRequest request;
  FENLEI_RETURN_IF_ERROR(
      parse_instances(body, kExpected, &doc, &request.instances, &request.columnar));
  if (auto k = doc.find("k"); k != doc.end()) {
    const bool integral = k->is_number_integer();
    const long long value = integral ? k->get<long long>() : 0;
    if (!integral || value < 1 || value > kMaxRequestK) {
      return invalid_argument_error("\"k\" must be an integer from 1 to " +
                                    std::to_string(kMaxRequestK) + ", got " + k->dump());
    }
    request.options.k = static_cast<int>(value);
    request.k_given = true;
  }
  if (auto t = doc.find("threshold"); t != doc.end()) {
    const double value = t->is_number() ? t->get<double>() : -1.0;
    if (!t->is_number() || !(value >= 0.0 && value <= 1.0)) {
      return invalid_argument_error("\"threshold\" must be a number from 0 to 1, got " + t->dump());
    }
    request.options.threshold = static_cast<float>(value);
    request.threshold_given = true;
  }
  return request;
}

void trim_prediction(Prediction& prediction, const PredictOptions& options) {
  auto& top = prediction.top_k;
  size_t keep = 0;
  const size_t limit = options.k < 1 ? 1 : static_cast<size_t>(options.k);
  while (keep < top.size() && keep < limit && top[keep].score >= options.threshold) ++keep;
  top.resize(keep);
}

void append_json_string(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 15]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_json_float(std::string& out, float value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, result.ptr);
}

std::string write_predictions(const std::vector<Prediction>& predictions) {
  std::string out;
  out.reserve(32 + predictions.size() * 96);
  out += "{\"predictions\":[";
  for (size_t i = 0; i < predictions.size(); ++i) {
    const Prediction& p = predictions[i];
    if (i) out.push_back(',');
    out += "{\"label\":";
    append_json_string(out, p.label);
    out += ",\"score\":";
    append_json_float(out, p.score);
    out += ",\"top_k\":[";
    for (size_t j = 0; j < p.top_k.size(); ++j) {
      if (j) out.push_back(',');
      out += "{\"label\":";
      append_json_string(out, p.top_k[j].label);
      out += ",\"score\":";
      append_json_float(out, p.top_k[j].score);
      out.push_back('}');
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::string write_predictions_columnar(const std::vector<Prediction>& predictions) {
  std::string out;
  out.reserve(48 + predictions.size() * 96);
  out += "{\"outputs\":{\"label\":[";
  for (size_t i = 0; i < predictions.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, predictions[i].label);
  }
  out += "],\"score\":[";
  for (size_t i = 0; i < predictions.size(); ++i) {
    if (i) out.push_back(',');
    append_json_float(out, predictions[i].score);
  }
  out += "],\"top_k\":[";
  for (size_t i = 0; i < predictions.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    const auto& top = predictions[i].top_k;
    for (size_t j = 0; j < top.size(); ++j) {
      if (j) out.push_back(',');
      out += "{\"label\":";
      append_json_string(out, top[j].label);
      out += ",\"score\":";
      append_json_float(out, top[j].score);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out += "]}}";
  return out;
}

StatusOr<ExplainRequest> parse_explain_request(std::string_view body) {
  constexpr const char* kExplainExpected =
      R"(; send {"instances": ["text", ...]} with an optional "label" to explain)";
  nlohmann::json doc;
  ExplainRequest request;
  FENLEI_RETURN_IF_ERROR(parse_instances(body, kExplainExpected, &doc, &request.instances));
  if (request.instances.size() > kMaxExplainInstances) {
    return invalid_argument_error("at most " + std::to_string(kMaxExplainInstances) +
                                  " instances per explain request (each costs one model pass per "
                                  "token), got " + std::to_string(request.instances.size()));
  }
  if (auto label = doc.find("label"); label != doc.end()) {
    if (!label->is_string())
      return invalid_argument_error("\"label\" must be a string, got " + label->dump());
    request.options.label = label->get<std::string>();
  }
  return request;
}

std::string write_explanations(const std::vector<Explanation>& explanations) {
  std::string out = "{\"explanations\":[";
  for (size_t i = 0; i < explanations.size(); ++i) {
    const Explanation& e = explanations[i];
    if (i) out.push_back(',');
    out += "{\"label\":";
    append_json_string(out, e.label);
    out += ",\"score\":";
    append_json_float(out, e.score);
    out += e.truncated ? ",\"truncated\":true" : ",\"truncated\":false";
    out += ",\"tokens\":[";
    for (size_t j = 0; j < e.tokens.size(); ++j) {
      if (j) out.push_back(',');
      out += "{\"token\":";
      append_json_string(out, e.tokens[j].token);
      out += ",\"weight\":";
      append_json_float(out, e.tokens[j].weight);
      out += e.tokens[j].known ? ",\"known\":true}" : ",\"known\":false}";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::string error_json(std::string_view message) {
  std::string out = "{\"error\":";
  // Messages can quote client bytes; never emit invalid UTF-8 in a JSON reply.
  append_json_string(out, utf8::is_valid(message) ? std::string(message)
                                                  : utf8::replace_invalid(message));
  out.push_back('}');
  return out;
}

HttpResponse error_response(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body = error_json(message);
  return response;
}

}  // namespace fenlei::server
