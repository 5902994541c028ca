// libFuzzer target for the server's request parsers (predict, explain, v2 infer): any body gives a
// request with at least one valid UTF-8 instance, or an error message (the 400 the client sees)
// — never a crash.
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
  auto v2 = fenlei::server::parse_v2_infer_request(body);
  if (v2.ok()) {
    if (v2->texts.empty() || v2->texts.size() > fenlei::server::kMaxV2Batch || v2->outputs.empty())
      std::abort();
    for (const auto& text : v2->texts) {
      if (!fenlei::utf8::is_valid(text)) std::abort();
    }
  } else if (v2.status().message().empty()) {
    std::abort();
  }
  return 0;
}
