// `fenlei serve MODEL`: serves one or more models over HTTP (see docs/serving.md). This file is the
// only place where the server meets fenlei::Classifier; src/server/ knows just the Predictor
// interface.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/file_util.h"
#include "cli_common.h"
#include "command.h"
#include "fenlei/classifier.h"
#include "fenlei/log.h"
#include "server/auth_tokens.h"
#include "server/server.h"
#include "server/signal_watcher.h"

namespace fenlei::cli {
namespace {

// Adapts the thread-safe Classifier to the server's Predictor interface.
class ClassifierPredictor : public server::Predictor {
 public:
  explicit ClassifierPredictor(std::shared_ptr<const Classifier> classifier)
      : classifier_(std::move(classifier)) {}
  StatusOr<std::vector<Prediction>> predict(const std::vector<std::string>& texts,
                                            const PredictOptions& options) const override {
    return classifier_->predict(texts, options);
  }
  const ModelInfo& info() const override { return classifier_->info(); }
  StatusOr<Explanation> explain(std::string_view text,
                                const ExplainOptions& options) const override {
    return classifier_->explain(text, options);
  }

 private:
  std::shared_ptr<const Classifier> classifier_;
};

StatusOr<std::shared_ptr<const server::Predictor>> load_predictor(const std::string& path,
                                                                  const LoadOptions& load) {
  // Read, not mapped (Classifier::load maps): a long-running server must survive its model
  // file being overwritten in place (`cp new.fenlei served.fenlei`, then a reload), which would
  // change or cut off a mapping's pages under it (SIGBUS). A copy costs no more memory here: the
  // checksum pass makes every page of a mapping resident anyway, and the bytes are freed once
  // the model is built from them.
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  FENLEI_ASSIGN_OR_RETURN(auto classifier, Classifier::load_from_memory(bytes, path, load));
  bytes = std::string();
  // Before the model takes traffic (and, on reload, before it replaces the old one): the first
  // requests then run at steady-state latency.
  classifier->warm_up();
  return std::shared_ptr<const server::Predictor>(
      std::make_shared<ClassifierPredictor>(std::move(classifier)));
}

// A flag whose value must lie in [min, max]: CLI11 rejects others and shows the range in --help.
template <typename T>
void add_bounded(CLI::App& app, const std::string& flag, T& value, const std::string& help,
                 int64_t min, int64_t max) {
  app.add_option(flag, value, help)->check(CLI::Range(min, max));
}

// Milliseconds, from 1 to an hour: every per-phase deadline of a request.
constexpr int64_t kMaxDeadlineMs = 3600000;

// Connection caps and per-phase deadlines (docs/serving.md, "Slow and hostile clients").
void add_connection_flags(CLI::App& app, server::FrontEndOptions& c) {
  add_bounded(app, "--max-connections", c.max_connections,
              "Open connections at most; more get 503 (a few extra slots stay for health probes)",
              1, 1000000);
  add_bounded(app, "--max-connections-per-client", c.max_connections_per_client,
              "Open connections per client IP address at most", 1, 1000000);
  add_bounded(app, "--keep-alive-timeout-ms", c.idle_timeout_ms,
              "How long an idle connection may wait for its next request", 1, kMaxDeadlineMs);
  add_bounded(app, "--request-line-timeout-ms", c.request_line_timeout_ms,
              "From a request's first byte to the end of its request line; later gets 408", 1,
              kMaxDeadlineMs);
  add_bounded(app, "--header-timeout-ms", c.header_timeout_ms,
              "From a request's first byte to the end of its headers; later gets 408", 1,
              kMaxDeadlineMs);
  add_bounded(app, "--body-timeout-ms", c.body_timeout_ms,
              "From the end of the headers to the end of the body; later gets 408", 1,
              kMaxDeadlineMs);
}

// "reviews.int8.fenlei" -> "reviews.int8"
std::string default_name(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

int run_serve(int argc, char** argv) {
  auto app = make_app("serve", "Serve models over HTTP (TF Serving / KServe-style JSON API).");
  std::string model_path, name;
  std::vector<std::string> extra_models;
  server::ServerOptions options;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.service.batcher.threads = std::min(cores, 4);
  int64_t max_batch_size = static_cast<int64_t>(options.service.batcher.max_batch_size);
  int64_t max_queue_size = static_cast<int64_t>(options.service.batcher.max_queue_size);
  int64_t max_body_bytes = static_cast<int64_t>(options.service.max_body_bytes);

  app->add_option("MODEL", model_path, "Model file to serve")->check(CLI::ExistingFile);
  app->add_option("--name", name, "URL name of MODEL (default: the file name without extension)");
  app->add_option("--model", extra_models, "Serve another model, as NAME=PATH (repeatable)");
  app->add_option("--host", options.host, "Address to bind; 0.0.0.0 exposes it to the network");
  add_bounded(*app, "--port", options.port, "Port to bind; 0 picks a free one", 0, 65535);
  add_bounded(*app, "--threads", options.service.batcher.threads,
              "Prediction worker threads", 1, 256);
  LoadOptions load;
  add_intra_op_threads_flag(*app, load.intra_op_threads);
  add_bounded(*app, "--http-threads", options.http_threads,
              "Threads that run requests (connections are not tied to threads)", 1, 4096);
  add_connection_flags(*app, options.connections);
  app->add_option("--cors-origin", options.service.allowed_origins,
                  "Origin whose web pages may call this server, e.g. https://ops.example.com "
                  "(repeatable; default: none but the server's own)");
  add_bounded(*app, "--max-batch-size", max_batch_size, "Most texts per model call", 1, 4096);
  add_bounded(*app, "--max-queue-delay-us", options.service.batcher.max_queue_delay_us,
              "Longest wait for a batch to fill; 0 never waits when a worker is idle",
              0, 10000000);
  app->add_option("--caller-runs", options.service.batcher.caller_runs,
                  "Run a request on its connection thread when a worker slot is free "
                  "(true/false; false always hands it to a worker)");
  add_bounded(*app, "--max-queue-size", max_queue_size,
              "Requests that may wait; more get 429", 1, 1000000);
  add_bounded(*app, "--max-body-bytes", max_body_bytes,
              "Largest request body; larger gets 413", 64, 1 << 30);
  add_bounded(*app, "--timeout-ms", options.service.timeout_ms,
              "Per-request time limit (queue + prediction); later gets 504", 1, kMaxDeadlineMs);
  add_bounded(*app, "--drain-timeout-s", options.drain_timeout_s,
              "On SIGTERM/SIGINT, how long in-flight requests may take to finish", 0, 3600);
  std::string auth_token_file;
  app->add_option("--auth-token-file", auth_token_file,
                  "Bearer tokens, one a line ('TOKEN' or 'TOKEN admin'); every request but the "
                  "health probes then needs one, and reloads an admin one")
      ->check(CLI::ExistingFile);
  app->add_option("--tls-cert", options.connections.tls_cert,
                  "Serve HTTPS with this PEM certificate chain (with --tls-key; SIGHUP reloads both)")
      ->check(CLI::ExistingFile);
  app->add_option("--tls-key", options.connections.tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  add_bounded(*app, "--admin-port", options.admin_port,
              "Serve reloads on this 127.0.0.1 port only (no token needed there); the data "
              "port then refuses them", 0, 65535);
  app->add_option("--access-log", options.service.access_log,
                  "Write one JSON line per request to FILE (appended) or - (stdout)");
  bool no_ui = false;
  app->add_flag("--no-ui", no_ui, "Do not serve the try-a-model page at GET / (docs/report.md)");
  if (int code = parse(*app, argc, argv); code >= 0) return code;
  options.service.ui = !no_ui;
  if (options.connections.tls_cert.empty() != options.connections.tls_key.empty()) {
    std::cerr << "fenlei serve: error: --tls-cert and --tls-key go together\n";
    return kExitUsage;
  }
  if (!auth_token_file.empty()) {
    auto tokens = server::read_auth_token_file(auth_token_file);
    if (!tokens.ok()) return fail("serve", tokens.status());
    options.service.auth_tokens = std::move(tokens).value();
  }
  options.service.batcher.max_batch_size = static_cast<size_t>(max_batch_size);
  options.service.batcher.max_queue_size = static_cast<size_t>(max_queue_size);
  options.service.max_body_bytes = static_cast<size_t>(max_body_bytes);

  if (model_path.empty()) return fail("serve", "no MODEL given (fenlei serve MODEL.fenlei)");
  std::vector<server::ModelSpec> models = {{name.empty() ? default_name(model_path) : name, model_path}};
  for (const auto& spec : extra_models) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      std::cerr << "fenlei serve: error: --model expects NAME=PATH, got '" << spec << "'\n";
      return kExitUsage;
    }
    models.push_back({spec.substr(0, eq), spec.substr(eq + 1)});
  }

  // A client that hangs up mid-reply must cost us an EPIPE, not the process.
  std::signal(SIGPIPE, SIG_IGN);

  // Declared before the watcher so that the watcher's thread is joined before the server dies.
  std::unique_ptr<server::Server> server_holder;
  std::atomic<server::Server*> server_ptr{nullptr};
  std::atomic<bool> stop_requested{false};
  // Handlers go in before any server thread starts, so no signal catches us half set up.
  server::SignalWatcher signals;
  Status watching = signals.start(
      {[&] {
         if (server::Server* s = server_ptr.load()) {
           s->service().reload_all();
           if (Status tls = s->reload_tls(); !tls.ok()) {
             FENLEI_LOG(kError) << "TLS reload failed, keeping the old certificate: "
                                << tls.message();
           }
         }
       },
       [&] {
         stop_requested = true;
         if (server::Server* s = server_ptr.load()) s->shutdown();
       }});
  if (!watching.ok()) return fail("serve", watching);

  auto loader = [load](const std::string& path) { return load_predictor(path, load); };
  auto server = server::Server::create(models, loader, options);
  if (!server.ok()) return fail("serve", server.status());
  server_holder = std::move(server).value();
  if (Status started = server_holder->start(); !started.ok()) return fail("serve", started);
  server_ptr = server_holder.get();
  std::cout << "serving on " << server_holder->url() << std::endl;  // flushed: tests read the port
  if (server_holder->admin_port() >= 0) {
    std::cout << "admin on http://127.0.0.1:" << server_holder->admin_port() << std::endl;
  }
  if (stop_requested) server_holder->shutdown();  // a signal that came while loading
  server_holder->wait();
  return kExitOk;
}

FENLEI_REGISTER_COMMAND("serve", "Serve models over HTTP with dynamic batching", 60, run_serve);

}  // namespace
}  // namespace fenlei::cli
