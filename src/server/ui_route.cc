#include "server/ui_page.h"

namespace fenlei::server {
namespace {

// The page runs inline script and style and may call this origin only: no fetch elsewhere, no
// framing by other sites, no forms posting away.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

HttpResponse ui_page_response(const std::string& page) {
  HttpResponse response;
  response.body = page;
  response.content_type = "text/html; charset=utf-8";
  response.headers = {{"Content-Security-Policy", kPagePolicy},
                      {"X-Content-Type-Options", "nosniff"},
                      {"Cache-Control", "no-cache"}};
  return response;
}

}  // namespace fenlei::server
