#include "server/auth_tokens.h"

#include <fstream>
#include <sstream>

namespace fenlei::server {

StatusOr<std::vector<AuthToken>> read_auth_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found_error("cannot read the token file " + path + "; check --auth-token-file");
  std::vector<AuthToken> tokens;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream words(line);
    std::string token, role, extra;
    words >> token >> role >> extra;
    if (token.empty() || token[0] == '#') continue;
    const std::string where = path + ":" + std::to_string(number);
    if (token.size() < kMinTokenLength) {
      return invalid_argument_error(where + ": a token needs at least " +
                                    std::to_string(kMinTokenLength) +
                                    " characters; make one with `openssl rand -hex 16`");
    }
    if ((!role.empty() && role != "admin") || !extra.empty()) {
      return invalid_argument_error(where + ": expected 'TOKEN' or 'TOKEN admin'");
    }
    tokens.push_back({token, role == "admin"});
  }
  if (tokens.empty()) return invalid_argument_error(path + " holds no token");
  return tokens;
}

}  // namespace fenlei::server
