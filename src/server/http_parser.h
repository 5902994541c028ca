// An incremental HTTP/1.1 request parser: bytes go in as they arrive (one at a time or many
// requests at once), complete requests come out. It enforces every size limit while the bytes
// arrive, so nothing over a limit is ever buffered: a request line over the limit is a 414, headers
// over it a 431, a body (Content-Length or chunked, counted as decoded) over it a 413, each as soon
// as the limit is crossed. No sockets here, so the fuzzer and the tests drive it directly.
//
//   RequestParser parser(limits);
//   size_t used = parser.feed(bytes);           // consumes up to the end of one request
//   if (parser.state() == ParseState::kComplete) handle(parser.take());  // then feed the rest
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http_types.h"

namespace fenlei::server {

struct ParserLimits {
  size_t max_request_line_bytes = 8192;  // method, target and version; longer gets 414
  size_t max_header_bytes = 16384;       // all header lines together (trailers too); more: 431
  size_t max_header_count = 100;         // more header fields: 431
  size_t max_body_bytes = 1 << 20;       // decoded body; more: 413
};

struct ParsedRequest {
  std::string method;
  std::string path;   // percent-decoded, without the query string
  std::string query;  // after '?', as sent
  int minor_version = 1;  // HTTP/1.minor
  HttpHeaders headers;    // names lower-cased, values trimmed
  std::string body;
  bool keep_alive = true;  // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only if asked

  std::string_view header(std::string_view lower_name) const {
    return find_header(headers, lower_name);
  }
};

enum class ParseState {
  kIdle,         // nothing of the next request has arrived
  kRequestLine,  // part of the request line
  kHeaders,      // request line done, headers not yet
  kBody,         // headers done, body not yet complete
  kComplete,     // take() the request
  kError,        // error_status() / error_message(); the connection must close after answering
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits) : limits_(limits) {}

  // Consumes bytes of `data` up to the end of the current request (or all of them) and returns how
  // many it consumed. In kComplete or kError it consumes nothing until take() / a new parser.
  size_t feed(std::string_view data);

  ParseState state() const { return state_; }
  // The request, once state() is kComplete; the parser is then ready for the next one.
  ParsedRequest take();

  int error_status() const { return error_status_; }  // 400, 413, 414, 431, 501 or 505
  const std::string& error_message() const { return error_message_; }
  // What has been parsed so far (method and path once the request line is done), for logs.
  const ParsedRequest& partial() const { return request_; }
  // True once the headers are done, the client sent "Expect: 100-continue" and the body is yet to
  // come: the connection should then send "100 Continue".
  bool wants_continue() const { return state_ == ParseState::kBody && expect_continue_; }

 private:
  enum class BodyMode { kNone, kLength, kChunkSize, kChunkData, kChunkDataEnd, kTrailers };

  void fail(int status, std::string message);
  // Line-based phases: take bytes up to and including '\n' into line_.
  size_t feed_line(std::string_view data, size_t limit, int status_over_limit,
                   const char* what_over_limit);
  void on_request_line(std::string_view line);
  void on_header_line(std::string_view line);
  void on_headers_done();
  void on_chunk_size_line(std::string_view line);
  void on_trailer_line(std::string_view line);
  bool add_body_bytes(size_t n);  // counts n more body bytes; false (and 413) over the limit

  ParserLimits limits_;
  ParseState state_ = ParseState::kIdle;
  BodyMode body_mode_ = BodyMode::kNone;
  ParsedRequest request_;
  std::string line_;          // the line being collected (without its '\n')
  size_t header_bytes_ = 0;   // bytes of complete header (and trailer) lines so far
  uint64_t remaining_ = 0;    // body bytes left: of the Content-Length, or of the current chunk
  bool expect_continue_ = false;
  int error_status_ = 0;
  std::string error_message_;
};

// Decodes %XX escapes; false on a malformed escape or a decoded NUL.
bool percent_decode(std::string_view in, std::string* out);

}  // namespace fenlei::server
