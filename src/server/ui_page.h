// The page `fenlei serve` shows at GET / (off with --no-ui): pick a model, type texts, see the
// labels as bars and the words coloured by their explain weights. One HTML file with inline CSS
// and JS and no external assets; it talks only to this server's own JSON API
// (GET /v1/models/{name}/metadata, POST :predict and :explain), so it can do nothing a client of
// the API could not.
#pragma once

#include <string>
#include <vector>

namespace httplib {
class Server;
}

namespace fenlei::server {

class Registry;

// The page, with the served model names built in (the API has no list endpoint to ask).
std::string ui_page_html(const std::vector<std::string>& model_names);

// Adds GET / serving that page. Call before any catch-all route: httplib takes the first match.
void install_ui_route(httplib::Server& http, const Registry& registry);

}  // namespace fenlei::server
