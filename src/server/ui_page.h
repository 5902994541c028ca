// The page `fenlei serve` shows at GET / (off with --no-ui): pick a model, type texts, see the
// labels as bars and the words coloured by their explain weights. One HTML file with inline CSS
// and JS and no external assets; it talks only to this server's own JSON API
// (GET /v1/models/{name}/metadata, POST :predict and :explain), so it can do nothing a client of
// the API could not.
#pragma once

#include <string>
#include <vector>

#include "server/http_types.h"

namespace fenlei::server {

// The page, with the served model names built in.
std::string ui_page_html(const std::vector<std::string>& model_names);

// The response to GET /: the page with a strict Content-Security-Policy (inline script and
// style, requests to this origin only, no framing).
HttpResponse ui_page_response(const std::string& page);

}  // namespace fenlei::server
