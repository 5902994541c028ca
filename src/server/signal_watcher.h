// Turns SIGHUP, SIGINT and SIGTERM into calls on an ordinary thread. The signal handler only
// write()s the signal number to a pipe (async-signal-safe); a watcher thread reads it and runs the
// callbacks, so reloading and draining never happen inside a handler.
#pragma once

#include <functional>
#include <thread>

#include "fenlei/status.h"

namespace fenlei::server {

// At most one per process (signal dispositions are process-wide). Not thread-safe itself.
class SignalWatcher {
 public:
  struct Callbacks {
    std::function<void()> on_reload;  // SIGHUP
    std::function<void()> on_stop;    // SIGINT, SIGTERM (first one; later ones are ignored)
  };
  SignalWatcher() = default;
  ~SignalWatcher();  // restores the previous handlers and joins the thread
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Installs the handlers and starts the thread. FAILED_PRECONDITION if another watcher is active,
  // INTERNAL if the pipe or sigaction fails.
  Status start(Callbacks callbacks);

 private:
  void run();
  Callbacks callbacks_;
  std::thread thread_;
  bool active_ = false;
};

}  // namespace fenlei::server
