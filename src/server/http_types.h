// Transport-neutral request and response types: handlers take and return these, so they are plain
// functions that tests call without sockets. The httplib adapter (server.cc) converts at the edge.
#pragma once

#include <string>
#include <string_view>

namespace fenlei::server {

// Views into the transport's buffers; valid for the duration of one handler call.
struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // without the query string
  std::string_view body;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string allow;  // the Allow header of a 405 response; empty otherwise
};

// {"error": message} with `status`.
HttpResponse error_response(int status, std::string_view message);

}  // namespace fenlei::server
