#include <httplib.h>

#include <nlohmann/json.hpp>

#include "server/model_registry.h"
#include "server/ui_page.h"

namespace fenlei::server {
namespace {

// The page runs inline script and style and may call this origin only: no fetch elsewhere, no
// framing by other sites, no forms posting away.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

void install_ui_route(httplib::Server& http, const Registry& registry) {
  std::vector<std::string> names;
  for (const ModelSlot* slot : registry.slots()) names.push_back(slot->name());
  auto page = std::make_shared<const std::string>(ui_page_html(names));
  http.Get("/", [page](const httplib::Request&, httplib::Response& res) {
    res.set_content(*page, "text/html; charset=utf-8");
    res.set_header("Content-Security-Policy", kPagePolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-cache");
  });
}

}  // namespace fenlei::server
