// Transport-neutral request and response types: handlers take and return these, so they are plain
// functions that tests call without sockets. The front end (front_end.cc) converts at the edge.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fenlei::server {

// Header fields in arrival order; names lower-cased.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of the first field named `lower_name`, or "" when there is none.
std::string_view find_header(const HttpHeaders& headers, std::string_view lower_name);

// Views into the transport's buffers; valid for the duration of one handler call.
struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // without the query string
  std::string_view body;
  const HttpHeaders* headers = nullptr;  // null: none (e.g. a test calling a handler directly)
  std::string_view client = {};  // the peer's IP address, when known
  bool admin_listener = false;    // arrived on --admin-port (loopback), not the data port

  std::string_view header(std::string_view lower_name) const {
    return headers ? find_header(*headers, lower_name) : std::string_view();
  }
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string allow;  // the Allow header of a 405 response; empty otherwise
  HttpHeaders headers;  // any other header fields to send
};

// {"error": message} with `status`.
HttpResponse error_response(int status, std::string_view message);

// "Not Found" for 404, ...; "Unknown" for a status it does not know.
const char* reason_phrase(int status);

}  // namespace fenlei::server
