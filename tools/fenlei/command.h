// The fenlei CLI is one binary with subcommands. Each subcommand lives in its own cmd_<name>.cc and
// registers itself here, so adding a command never touches main.cc.
#pragma once

#include <string>
#include <vector>

namespace fenlei::cli {

struct Command {
  std::string name;
  std::string summary;  // one line for `fenlei --help`
  int order;            // position in `fenlei --help` (workflow order, not alphabetical)
  int (*run)(int argc, char** argv);  // argv[0] is the command name; returns the exit code
};

// All registered commands, sorted by `order`.
const std::vector<Command>& commands();

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, int order, int (*run)(int, char**));
};

}  // namespace fenlei::cli

#define FENLEI_REGISTER_COMMAND(name, summary, order, fn) \
  static ::fenlei::cli::CommandRegistrar fenlei_registrar_##fn(name, summary, order, fn)
