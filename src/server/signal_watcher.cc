#include "server/signal_watcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "fenlei/log.h"

namespace fenlei::server {
namespace {

// Written by start()/the destructor only, read by the handler: a plain int is enough because
// the handler is installed after the store and removed before the reset.
volatile sig_atomic_t g_write_fd = -1;
int g_read_fd = -1;
struct sigaction g_old_hup, g_old_int, g_old_term;
constexpr unsigned char kQuitByte = 0;

extern "C" void on_signal(int signo) {
  const int saved_errno = errno;  // write() may change errno under the interrupted code
  const unsigned char byte = static_cast<unsigned char>(signo);
  if (g_write_fd >= 0) {
    ssize_t ignored = ::write(g_write_fd, &byte, 1);
    (void)ignored;  // a full pipe means a signal is pending already
  }
  errno = saved_errno;
}

}  // namespace

Status SignalWatcher::start(Callbacks callbacks) {
  if (active_ || g_write_fd >= 0) return failed_precondition_error("a SignalWatcher is already active");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return internal_error(std::string("pipe: ") + std::strerror(errno));
  }
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);  // the handler must never block
  g_read_fd = fds[0];
  g_write_fd = fds[1];
  callbacks_ = std::move(callbacks);

  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGHUP, &action, &g_old_hup);
  ::sigaction(SIGINT, &action, &g_old_int);
  ::sigaction(SIGTERM, &action, &g_old_term);
  active_ = true;
  thread_ = std::thread([this] { run(); });
  return Status::ok_status();
}

void SignalWatcher::run() {
  bool stopped = false;
  while (true) {
    unsigned char byte = 0;
    const ssize_t n = ::read(g_read_fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || byte == kQuitByte) return;
    const int signo = byte;
    if (signo == SIGHUP) {
      FENLEI_LOG(kInfo) << "SIGHUP: reloading models";
      if (callbacks_.on_reload) callbacks_.on_reload();
    } else if (!stopped) {
      stopped = true;
      FENLEI_LOG(kInfo) << (signo == SIGINT ? "SIGINT" : "SIGTERM") << ": shutting down";
      if (callbacks_.on_stop) callbacks_.on_stop();
    }
  }
}

SignalWatcher::~SignalWatcher() {
  if (!active_) return;
  ::sigaction(SIGHUP, &g_old_hup, nullptr);
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
  const unsigned char quit = kQuitByte;
  ssize_t ignored = ::write(g_write_fd, &quit, 1);
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  ::close(g_write_fd);
  ::close(g_read_fd);
  g_write_fd = -1;
  g_read_fd = -1;
}

}  // namespace fenlei::server
