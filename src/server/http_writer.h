// Turns an HttpResponse into the bytes of an HTTP/1.1 response.
#pragma once

#include <string>

#include "server/http_types.h"

namespace fenlei::server {

// Status line, Content-Type, Content-Length, Connection (keep-alive or close), Allow and the
// response's own headers, then the body (left out for a HEAD request; its length is still sent).
std::string serialize_response(const HttpResponse& response, bool keep_alive, bool head_request);

}  // namespace fenlei::server
