#include "command.h"

#include <algorithm>

namespace fenlei::cli {
namespace {
// Function-local static: safe to use from other translation units' static initialisers.
std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace

const std::vector<Command>& commands() {
  auto& all = registry();
  std::stable_sort(all.begin(), all.end(),
                   [](const Command& a, const Command& b) { return a.order < b.order; });
  return all;
}

CommandRegistrar::CommandRegistrar(const char* name, const char* summary, int order,
                                   int (*run)(int, char**)) {
  registry().push_back(Command{name, summary, order, run});
}

}  // namespace fenlei::cli
