// libFuzzer target for the HTTP request parser (what every byte from the network goes through
// first). Checks, for any input: no crash; the same requests come out whether the bytes arrive at
// once or in pieces (the first input byte picks the piece size); every error is a status the server
// answers with and a message; no request exceeds the limits it was given; the parser consumes
// nothing after an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_parser.h"

namespace {

using fenlei::server::ParsedRequest;
using fenlei::server::ParserLimits;
using fenlei::server::ParseState;
using fenlei::server::RequestParser;

struct Outcome {
  std::vector<std::string> requests;  // method, path, body of each
  int error = 0;
};

Outcome run(std::string_view bytes, size_t step, const ParserLimits& limits) {
  RequestParser parser(limits);
  Outcome out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t end = std::min(bytes.size(), pos + step);
    while (pos < end) {
      const size_t used = parser.feed(bytes.substr(pos, end - pos));
      if (used > end - pos) std::abort();
      pos += used;
      if (parser.state() == ParseState::kComplete) {
        ParsedRequest r = parser.take();
        if (r.body.size() > limits.max_body_bytes) std::abort();
        if (r.headers.size() > limits.max_header_count) std::abort();
        if (r.method.empty() || r.path.empty()) std::abort();
        out.requests.push_back(r.method + ' ' + r.path + '\n' + r.body);
      } else if (parser.state() == ParseState::kError) {
        if (parser.feed("GET / HTTP/1.1\r\n") != 0) std::abort();
        const int s = parser.error_status();
        if (s != 400 && s != 413 && s != 414 && s != 431 && s != 501 && s != 505) std::abort();
        if (parser.error_message().empty()) std::abort();
        out.error = s;
        return out;
      } else if (used == 0) {
        std::abort();  // needs more but took nothing: would spin forever
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 17;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  ParserLimits limits;
  limits.max_request_line_bytes = 256;
  limits.max_header_bytes = 512;
  limits.max_header_count = 16;
  limits.max_body_bytes = 1024;
  const Outcome whole = run(bytes, bytes.size() + 1, limits);
  const Outcome pieces = run(bytes, step, limits);
  if (whole.requests != pieces.requests || whole.error != pieces.error) std::abort();
  return 0;
}
