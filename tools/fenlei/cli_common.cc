#include "cli_common.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "base/file_util.h"
#include "fenlei/classifier.h"
#include "fenlei/log.h"

namespace fenlei::cli {

std::unique_ptr<CLI::App> make_app(const std::string& name, const std::string& description) {
  auto app = std::make_unique<CLI::App>(description, "fenlei " + name);
  app->get_formatter()->column_width(34);
  app->option_defaults()->always_capture_default();
  auto* level = app->add_option_function<std::string>(
      "--log-level",
      [](const std::string& value) {
        LogLevel parsed;
        if (!parse_log_level(value, &parsed)) {
          throw CLI::ValidationError("--log-level",
                                     "must be one of debug, info, warning, error, quiet");
        }
        set_log_level(parsed);
      },
      "Messages on stderr: debug, info, warning, error or quiet (default info)");
  level->check(CLI::IsMember({"debug", "info", "warning", "error", "quiet"}));
  app->add_flag_callback("-q,--quiet", [] { set_log_level(LogLevel::kWarning); },
                         "Only print warnings and errors on stderr (no progress)");
  app->add_flag_callback("-v,--verbose", [] { set_log_level(LogLevel::kDebug); },
                         "Print debug messages on stderr");
  return app;
}

int parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": error: " << e.what() << "\n"
              << "Run '" << app.get_name() << " --help' for usage.\n";
    return kExitUsage;
  }
  return -1;
}

void add_intra_op_threads_flag(CLI::App& app, int& threads) {
  app.add_option("--intra-op-threads", threads,
                 "Threads per text, as ONNX Runtime's intra_op_num_threads (default 1): a "
                 "transformer model splits each text's dense layers and attention heads over "
                 "them, with identical results for any N; other models ignore it")
      ->check(CLI::Range(1, kMaxIntraOpThreads));
}

int fail(const std::string& command, const Status& status) {
  return fail(command, status.message());
}

int fail(const std::string& command, const std::string& message) {
  std::cerr << "fenlei " << command << ": error: " << message << "\n";
  return kExitFailure;
}

Status flush_stdout() {
  errno = 0;
  std::cout.flush();
  bool failed = !std::cout.good();
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) failed = true;
  if (!failed) return Status();
  const int err = errno;
  return internal_error(std::string("cannot write to standard output") +
                        (err != 0 ? std::string(": ") + std::strerror(err) : std::string()) +
                        " (disk full, or the reading end of a pipe closed?)");
}

int finish_output(const std::string& command, int exit_code) {
  const Status s = flush_stdout();
  if (s.ok() || exit_code != kExitOk) return exit_code;
  return fail(command, s);
}

}  // namespace fenlei::cli
