// libFuzzer target for the server's request parsers (predict, explain, v2 infer): any body gives a
// request with at least one valid UTF-8 instance, or an error message (the 400 the client sees)
// — never a crash. The v2 parser also runs with the binary-data extension: an input starting with
// '#' gives the Inference-Header-Content-Length value up to the first newline, the rest is the body
// (JSON, then raw tensor bytes with hostile lengths).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "text/utf8.h"
#include "server/json_codec.h"
#include "server/v2_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto request = fenlei::server::parse_predict_request(body);
  if (request.ok()) {
    if (request->instances.empty()) std::abort();
    for (const auto& text : request->instances) {
      if (!fenlei::utf8::is_valid(text)) std::abort();
    }
  } else if (request.status().message().empty()) {
    std::abort();
  }
  auto explain = fenlei::server::parse_explain_request(body);
  if (explain.ok()) {
    if (explain->instances.empty() ||
        explain->instances.size() > fenlei::server::kMaxExplainInstances)
      std::abort();
    for (const auto& text : explain->instances) {
      if (!fenlei::utf8::is_valid(text)) std::abort();
    }
    if (request.ok() && request->instances != explain->instances) std::abort();
  } else if (explain.status().message().empty()) {
    std::abort();
  }
  std::string_view v2_body = body;
  std::string_view header_length;
  if (!body.empty() && body[0] == '#') {
    const size_t newline = body.find('\n');
    header_length = body.substr(1, newline == std::string_view::npos ? body.size() : newline - 1);
    v2_body = newline == std::string_view::npos ? std::string_view() : body.substr(newline + 1);
  }
  auto v2 = fenlei::server::parse_v2_infer_request(v2_body, header_length);
  if (v2.ok()) {
    if (v2->texts.empty() || v2->texts.size() > fenlei::server::kMaxV2Batch ||
        v2->outputs.empty() || v2->binary_outputs.size() != v2->outputs.size())
      std::abort();
    size_t text_bytes = 0;
    for (const auto& text : v2->texts) {
      if (!fenlei::utf8::is_valid(text)) std::abort();
      text_bytes += text.size();
    }
    // Nothing is made out of thin air: the texts fit in the bytes that were sent.
    if (text_bytes > v2_body.size()) std::abort();
  } else if (v2.status().message().empty()) {
    std::abort();
  }
  return 0;
}
