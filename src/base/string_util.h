// Small string helpers shared by error messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fenlei {

// "a, b, c" for join({"a", "b", "c"}, ", "); "" for no parts.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace fenlei
