// --auth-token-file: the bearer tokens a server accepts, one a line.
//
//   # comments and blank lines are skipped
//   3f9c0c1e6b2a4d5e8f7a9b0c1d2e3f40            <- may predict, read metadata and metrics
//   9a8b7c6d5e4f30211f2e3d4c5b6a7980 admin      <- may also reload
#pragma once

#include <string>
#include <vector>

#include "fenlei/status.h"
#include "server/service.h"

namespace fenlei::server {

// Shortest token accepted: 16 characters of a random hex or base64 string are 64+ bits.
constexpr size_t kMinTokenLength = 16;

// INVALID_ARGUMENT (naming the line) for a token under kMinTokenLength characters, a second word
// other than "admin", or a file without tokens; NOT_FOUND if it cannot be read.
StatusOr<std::vector<AuthToken>> read_auth_token_file(const std::string& path);

}  // namespace fenlei::server
