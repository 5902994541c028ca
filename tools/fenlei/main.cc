// fenlei: Chinese and English text classification from raw text to a served model.
// main() only dispatches argv[1] to a registered subcommand (see command.h).
#include <cstring>
#include <iostream>
#include <string>

#include "cli_common.h"
#include "command.h"
#include "fenlei/version.h"

namespace {

void print_usage(std::ostream& out) {
  out << "fenlei " FENLEI_VERSION_STRING
         " - train, evaluate, compress and serve Chinese/English text classifiers\n\n"
         "Usage: fenlei <command> [options] [arguments]\n\nCommands:\n";
  for (const auto& cmd : fenlei::cli::commands()) {
    std::string name = cmd.name;
    name.resize(12, ' ');
    out << "  " << name << cmd.summary << "\n";
  }
  out << "\nRun 'fenlei <command> --help' for the options of a command.\n"
         "Everything runs locally; fenlei makes no network calls.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(std::cerr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    print_usage(std::cout);
    return fenlei::cli::finish_output("help", 0);
  }
  if (name == "--version" || name == "version") {
    std::cout << "fenlei " FENLEI_VERSION_STRING "\n";
    return fenlei::cli::finish_output("version", 0);
  }
  for (const auto& cmd : fenlei::cli::commands()) {
    // Every command's output is checked here: a failed write to stdout is never exit 0.
    if (cmd.name == name) return fenlei::cli::finish_output(name, cmd.run(argc - 1, argv + 1));
  }
  std::cerr << "fenlei: error: unknown command '" << name << "'\n"
            << "Run 'fenlei --help' for the list of commands.\n";
  return 2;
}
