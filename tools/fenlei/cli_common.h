// Helpers shared by the subcommands: CLI11 parsing with fenlei's exit-code conventions,
// error reporting, input opening and common flags.
//
// Exit codes: 0 success, 1 failure (one clear line on stderr), 2 usage error (unknown flag, bad
// value). Results go to stdout; logs and progress to stderr.
#pragma once

#include <CLI/CLI.hpp>

#include <istream>
#include <memory>
#include <string>

#include "fenlei/status.h"

namespace fenlei::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Makes a CLI::App for `fenlei <name>` with fenlei's help formatting and the common flags
// (--log-level, -q/--quiet, -v/--verbose).
std::unique_ptr<CLI::App> make_app(const std::string& name, const std::string& description);

// Parses the command line. Returns -1 when the command should run, else the exit code to return
// (0 after printing --help, 2 after printing a usage error).
int parse(CLI::App& app, int argc, char** argv);

// --intra-op-threads N (predict, test, explain, serve): LoadOptions::intra_op_threads.
void add_intra_op_threads_flag(CLI::App& app, int& threads);

// Prints "fenlei <command>: error: <message>" to stderr and returns kExitFailure.
int fail(const std::string& command, const Status& status);
int fail(const std::string& command, const std::string& message);

// Flushes std::cout and stdout; an error if any write to standard output failed so far (a full
// disk, /dev/full, a closed pipe with SIGPIPE ignored). Commands that stream results call it
// after each batch so that they stop at the first failed write instead of computing on.
Status flush_stdout();

// main() passes every command's exit code through this: a command that succeeded but whose
// output could not be written fails with one line on stderr and exit code 1.
int finish_output(const std::string& command, int exit_code);

}  // namespace fenlei::cli
