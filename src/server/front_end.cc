#include "server/front_end.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fenlei/log.h"
#include "server/http_writer.h"

namespace fenlei::server {
namespace {

constexpr uint64_t kListenId = 0;
constexpr uint64_t kWakeId = 1;
constexpr size_t kReadChunk = 64 * 1024;
// Responses waiting to be sent before a connection stops parsing pipelined requests: a client
// that sends requests without reading the answers cannot make the server buffer without bound.
constexpr size_t kMaxPendingOutput = 256 * 1024;
// Probe slots get short deadlines: a probe sends its request at once.
constexpr int kProbeTimeoutMs = 1000;
// After an error response the rest of the request is read and dropped, so that closing does not
// reset the connection before the client has read the response (a client sending a 50 MB body
// reads the 413 only when it has sent it all). Until the client is quiet this long, at most
// kLingerMax.
constexpr auto kLingerQuiet = std::chrono::seconds(1);
constexpr auto kLingerMax = std::chrono::seconds(10);
constexpr auto kSweepEvery = std::chrono::milliseconds(20);

std::string peer_address(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, buf, sizeof buf);
  } else if (addr.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, buf, sizeof buf);
  }
  return buf;
}

bool is_partial(ParseState s) {
  return s == ParseState::kRequestLine || s == ParseState::kHeaders || s == ParseState::kBody;
}

}  // namespace

struct FrontEnd::Connection {
  Connection(uint64_t id_in, int fd_in, std::string peer_in, bool probe_only_in,
             const ParserLimits& limits)
      : id(id_in), fd(fd_in), peer(std::move(peer_in)), probe_only(probe_only_in), parser(limits) {}

  uint64_t id;
  int fd;
  std::string peer;
  bool probe_only;  // on a reserved slot: probes only, one request, short deadlines
  RequestParser parser;
  std::string in;  // received, not yet parsed (pipelined requests wait here)
  size_t in_pos = 0;
  std::string out;  // response bytes not yet sent
  size_t out_pos = 0;
  bool at_worker = false;          // a request of this connection is being handled
  bool close_after_write = false;  // the response being sent is the last one
  bool lingering = false;          // last response sent, write side shut, dropping input
  bool peer_closed = false;        // the client shut its write side
  bool continue_sent = false;
  bool dead = false;               // to be closed by whoever holds the event
  bool counted_busy = false;       // counted in busy_connections_
  SSL* ssl = nullptr;              // the TLS session, when the port speaks TLS
  bool tls_checked = false;        // the first byte was looked at (TLS or plain HTTP?)
  bool tls_wants_write = false;    // a TLS read needs the socket writable first
  uint32_t interest = 0;
  Clock::time_point idle_since, first_byte, headers_done, write_since, linger_since, last_read;
};

FrontEnd::FrontEnd(FrontEndOptions options, FrontEndHandlers handlers)
    : options_(std::move(options)), handlers_(std::move(handlers)) {}

FrontEnd::~FrontEnd() {
  if (loop_thread_.joinable()) stop(std::chrono::milliseconds(0));
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status FrontEnd::bind() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options_.port);
  const std::string where = options_.host + ":" + port;
  if (::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found) != 0 || !found) {
    return unavailable_error("cannot resolve " + where + "; pick another --host");
  }
  for (addrinfo* ai = found; ai && listen_fd_ < 0; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            ai->ai_protocol);
    if (fd < 0) continue;
    // SO_REUSEADDR allows a quick restart; not SO_REUSEPORT, which would let a second server
    // silently share the port (and half the traffic).
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      ::close(fd);
      continue;
    }
    listen_fd_ = fd;
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) {
    return unavailable_error("cannot listen on " + where +
                             " (address in use or not local?); pick another --host/--port");
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(addr).sin6_port
                                            : reinterpret_cast<sockaddr_in&>(addr).sin_port);

  // Each connection is a file descriptor: raise the soft limit to the hard one, and keep the caps
  // under it so that accept() never fails for want of descriptors.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    const auto usable = static_cast<int64_t>(files.rlim_cur) - 64 - options_.probe_connections;
    if (usable < options_.max_connections) {
      FENLEI_LOG(kWarning) << "--max-connections " << options_.max_connections
                           << " is over the open-file limit; using " << std::max<int64_t>(usable, 1);
      options_.max_connections = static_cast<int>(std::max<int64_t>(usable, 1));
    }
  }

  if (tls()) FENLEI_RETURN_IF_ERROR(reload_tls());

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return internal_error("epoll/eventfd: " + std::string(std::strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenId;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.u64 = kWakeId;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  return Status::ok_status();
}

Status FrontEnd::reload_tls() {
  FENLEI_ASSIGN_OR_RETURN(auto context, TlsContext::load(options_.tls_cert, options_.tls_key));
  std::lock_guard<std::mutex> lock(tls_mutex_);
  tls_context_ = std::move(context);
  return Status();
}

ssize_t FrontEnd::receive(Connection& c, char* buf, size_t n) {
  if (!c.ssl) return ::recv(c.fd, buf, n, 0);
  size_t got = 0;
  c.tls_wants_write = false;
  switch (tls_read(c.ssl, buf, n, &got)) {
    case TlsIo::kDone: return static_cast<ssize_t>(got);
    case TlsIo::kWantWrite: c.tls_wants_write = true; [[fallthrough]];
    case TlsIo::kWantRead: errno = EAGAIN; return -1;
    case TlsIo::kClosed: return 0;
    case TlsIo::kError: break;
  }
  errno = ECONNRESET;
  return -1;
}

ssize_t FrontEnd::transmit(Connection& c, const char* data, size_t n) {
  if (!c.ssl) return ::send(c.fd, data, n, MSG_NOSIGNAL);
  size_t put = 0;
  switch (tls_write(c.ssl, data, n, &put)) {
    case TlsIo::kDone: return static_cast<ssize_t>(put);
    case TlsIo::kWantRead:
    case TlsIo::kWantWrite: errno = EAGAIN; return -1;
    case TlsIo::kClosed:
    case TlsIo::kError: break;
  }
  errno = EPIPE;
  return -1;
}

void FrontEnd::start() {
  listening_ = true;
  loop_thread_ = std::thread([this] { loop(); });
  const int workers = std::max(1, options_.worker_threads);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { worker(); });
}

void FrontEnd::begin_drain(Clock::time_point deadline) {
  drain_deadline_ns_.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count());
  draining_.store(true);
  wake();
}

bool FrontEnd::wait_drained(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(state_mutex_);
  return state_cv_.wait_until(lock, deadline, [&] { return busy_connections_.load() == 0; });
}

void FrontEnd::stop(std::chrono::milliseconds grace) {
  if (!loop_thread_.joinable()) return;
  {
    std::unique_lock<std::mutex> lock(state_mutex_);
    state_cv_.wait_for(lock, grace, [&] { return busy_connections_.load() == 0; });
  }
  stopping_.store(true);
  wake();
  loop_thread_.join();
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);  // no worker misses the flag
  }
  jobs_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

FrontEndStats FrontEnd::stats() const {
  return {open_.load(), probe_open_.load(), refused_.load(), timed_out_.load()};
}

void FrontEnd::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void FrontEnd::worker() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(jobs_mutex_);
      jobs_cv_.wait(lock, [&] { return stopping_.load() || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const ParsedRequest& r = job.request;
    const HttpRequest view{r.method, r.path, r.body, &r.headers, job.client};
    HttpResponse response;
    try {
      response = handlers_.handle(view);
    } catch (const std::exception& e) {  // e.g. bad_alloc: the client gets JSON, the process lives
      response = error_response(500, std::string("internal error: ") + e.what());
    }
    const bool keep_alive = job.keep_alive && !draining_.load();
    std::string bytes = serialize_response(response, keep_alive, r.method == "HEAD");
    {
      std::lock_guard<std::mutex> lock(done_mutex_);
      done_.push_back({job.connection_id, std::move(bytes), !keep_alive});
    }
    wake();
  }
}

void FrontEnd::loop() {
  std::vector<epoll_event> events(256);
  while (!stopping_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kSweepEvery.count()));
    const auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenId) {
        accept_all(now);
      } else if (id == kWakeId) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof count);
      } else if (auto it = connections_.find(id); it != connections_.end()) {
        on_event(*it->second, events[i].events, now);
      }
    }
    take_completions(now);
    if (now - last_sweep_ >= kSweepEvery || (draining_.load() && listening_)) sweep(now);
  }
  std::vector<uint64_t> ids;
  for (const auto& [id, c] : connections_) ids.push_back(id);
  for (uint64_t id : ids) close_connection(id);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  std::lock_guard<std::mutex> lock(state_mutex_);
  state_cv_.notify_all();
}

void FrontEnd::accept_all(Clock::time_point now) {
  while (listening_) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: stop polling the listener for a moment (it would report
        // the same pending connection at once, forever) and let connections close.
        FENLEI_LOG(kWarning) << "accept: " << std::strerror(errno) << "; pausing accepts for 100 ms";
        epoll_event ev{};
        ev.data.u64 = kListenId;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
        accept_paused_until_ = now + std::chrono::milliseconds(100);
      }
      return;
    }
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    std::string peer = peer_address(addr);
    const auto per_client = per_client_.find(peer);
    const bool over = open_.load() >= options_.max_connections ||
                      (per_client != per_client_.end() &&
                       per_client->second >= options_.max_connections_per_client);
    if (over && probe_open_.load() >= options_.probe_connections) {
      static const std::string refusal = serialize_response(
          error_response(503, "too many connections; retry later or reuse a connection"), false,
          false);
      // A TLS client could not read a plain answer: it just sees the connection close.
      if (!tls()) {
        [[maybe_unused]] ssize_t w =
            ::send(fd, refusal.data(), refusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      ::close(fd);
      refused_.fetch_add(1);
      if (handlers_.record) handlers_.record("", "", 503);
      continue;
    }
    const uint64_t id = next_id_++;
    auto c = std::make_unique<Connection>(id, fd, peer, over, options_.limits);
    c->idle_since = now;
    if (tls()) {
      std::lock_guard<std::mutex> lock(tls_mutex_);
      c->ssl = tls_context_->new_session(fd);
      if (!c->ssl) {
        ::close(fd);
        continue;
      }
    }
    if (over) {
      probe_open_.fetch_add(1);
    } else {
      ++per_client_[peer];
      open_.fetch_add(1);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = id;
    c->interest = ev.events;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      connections_.emplace(id, std::move(c));
      close_connection(id);
      continue;
    }
    connections_.emplace(id, std::move(c));
  }
}

void FrontEnd::on_event(Connection& c, uint32_t events, Clock::time_point now) {
  if (events & (EPOLLERR | EPOLLHUP)) {
    c.dead = true;  // reset or closed both ways: nothing can be sent any more
  } else {
    if (events & (EPOLLIN | EPOLLRDHUP)) read_from(c, now);
    if (!c.dead && (events & EPOLLOUT)) {
      if (c.tls_wants_write) read_from(c, now);  // a TLS read was waiting for writability
      if (!c.dead) write_to(c, now);
    }
    if (!c.dead && !c.at_worker) process_input(c, now);
    if (!c.dead) read_tls_pending(c, now);
  }
  if (c.dead) {
    close_connection(c.id);
  } else {
    update_interest(c);
  }
}

void FrontEnd::read_from(Connection& c, Clock::time_point now) {
  char buf[kReadChunk];
  if (c.ssl && !c.tls_checked && !c.lingering) {
    // A TLS connection starts with a handshake record (0x16). Anything else is most likely plain
    // HTTP: tell it so in plain text, which it can read, instead of a TLS alert.
    char first = 0;
    const ssize_t r = ::recv(c.fd, &first, 1, MSG_PEEK);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      c.dead = true;
      return;
    }
    if (r < 0) return;
    c.tls_checked = true;
    if (first != 0x16) {
      tls_close(c.ssl, false);
      c.ssl = nullptr;
      if (handlers_.record) handlers_.record("", "", 400);
      respond(c, error_response(400, "this port speaks HTTPS; use https://"), false, false, now);
      write_to(c, now);
      return;
    }
  }
  // A few reads per event, so one fast sender cannot starve the other connections.
  for (int i = 0; i < (c.lingering ? 64 : 16) && !c.dead; ++i) {
    const ssize_t r = c.lingering ? ::recv(c.fd, buf, sizeof buf, 0) : receive(c, buf, sizeof buf);
    if (r > 0) {
      if (c.lingering) {
        c.last_read = now;
        continue;
      }
      c.in.append(buf, static_cast<size_t>(r));
      process_input(c, now);
      // Parsing stopped (a request is at a worker, or responses pile up): leave the rest in the
      // kernel's buffer, which pushes back on the client.
      if (c.at_worker || c.close_after_write || c.in.size() - c.in_pos >= kReadChunk) break;
      // Drained (a short read; with TLS, nothing buffered inside the session): epoll says when
      // more arrives, so do not spend a read that would only answer EAGAIN.
      if (c.ssl ? !tls_has_pending(c.ssl) : static_cast<size_t>(r) < sizeof buf) break;
      continue;
    }
    if (r == 0) {
      c.peer_closed = true;
      // Nothing left to answer: done. Otherwise answer first (some clients half-close after
      // sending their request), then close.
      if (c.lingering || (!c.at_worker && c.out_pos == c.out.size())) {
        c.dead = true;
      } else {
        c.close_after_write = true;
      }
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) c.dead = true;
    return;
  }
}

void FrontEnd::read_tls_pending(Connection& c, Clock::time_point now) {
  if (c.ssl && !c.at_worker && !c.close_after_write && !c.lingering &&
      c.out.size() - c.out_pos < kMaxPendingOutput && tls_has_pending(c.ssl)) {
    read_from(c, now);
  }
}

void FrontEnd::process_input(Connection& c, Clock::time_point now) {
  // Parses and answers (or hands over) requests until one goes to a worker, the connection is to
  // close, responses pile up, or the input runs out. Loops instead of recursing, so a thousand
  // pipelined probes cost no stack.
  for (;;) {
    while (!c.dead && !c.at_worker && !c.close_after_write && !c.lingering &&
           c.out.size() - c.out_pos < kMaxPendingOutput && c.in_pos < c.in.size()) {
      const ParseState before = c.parser.state();
      const size_t used = c.parser.feed(std::string_view(c.in).substr(c.in_pos));
      c.in_pos += used;
      const ParseState after = c.parser.state();
      if (before == ParseState::kIdle && after != ParseState::kIdle) c.first_byte = now;
      if (after == ParseState::kBody && before != ParseState::kBody) c.headers_done = now;
      if (c.parser.wants_continue() && !c.continue_sent) {
        if (c.out_pos == c.out.size()) c.write_since = now;
        c.out += "HTTP/1.1 100 Continue\r\n\r\n";
        c.continue_sent = true;
      }
      if (after == ParseState::kError) {
        refuse(c, c.parser.error_status(), c.parser.error_message(), now);
        break;
      }
      if (after == ParseState::kComplete) {
        c.continue_sent = false;
        dispatch(c, c.parser.take(), now);
        continue;
      }
      if (used == 0) break;
    }
    if (c.in_pos == c.in.size()) {
      c.in.clear();
      c.in_pos = 0;
    } else if (c.in_pos >= kReadChunk) {
      c.in.erase(0, c.in_pos);
      c.in_pos = 0;
    }
    if (c.dead || c.out_pos == c.out.size()) return;
    const size_t pending = c.out.size() - c.out_pos;
    write_to(c, now);
    // Continue only if the write freed room for more pipelined answers.
    if (c.dead || c.out.size() - c.out_pos >= pending || c.in_pos == c.in.size()) return;
  }
}

void FrontEnd::dispatch(Connection& c, ParsedRequest request, Clock::time_point now) {
  const bool keep_alive = request.keep_alive && !draining_.load() && !c.probe_only &&
                          !c.peer_closed;
  const bool head = request.method == "HEAD";
  const HttpRequest view{request.method, request.path, request.body, &request.headers, c.peer};
  if (handlers_.is_probe && handlers_.is_probe(view)) {
    HttpResponse response;
    try {
      response = handlers_.handle(view);
    } catch (const std::exception& e) {
      response = error_response(500, std::string("internal error: ") + e.what());
    }
    respond(c, response, keep_alive, head, now);
    return;
  }
  if (c.probe_only) {
    if (handlers_.record) handlers_.record(request.method, request.path, 503);
    respond(c,
            error_response(503, "too many connections; only health and metrics requests are "
                                "answered on this one; retry later or reuse a connection"),
            false, head, now);
    return;
  }
  c.at_worker = true;
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    jobs_.push_back({c.id, std::move(request), keep_alive, c.peer});
  }
  jobs_cv_.notify_one();
}

void FrontEnd::respond(Connection& c, const HttpResponse& response, bool keep_alive, bool head,
                       Clock::time_point now) {
  if (c.out_pos == c.out.size()) c.write_since = now;
  c.out += serialize_response(response, keep_alive, head);
  if (!keep_alive) c.close_after_write = true;
}

void FrontEnd::refuse(Connection& c, int status, const std::string& message,
                      Clock::time_point now) {
  const ParsedRequest& partial = c.parser.partial();
  if (handlers_.record) handlers_.record(partial.method, partial.path, status);
  respond(c, error_response(status, message), false, false, now);
}

void FrontEnd::write_to(Connection& c, Clock::time_point now) {
  while (c.out_pos < c.out.size()) {
    const ssize_t w = transmit(c, c.out.data() + c.out_pos, c.out.size() - c.out_pos);
    if (w > 0) {
      c.out_pos += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    c.dead = true;  // the client went away
    return;
  }
  c.out.clear();
  c.out_pos = 0;
  if (c.close_after_write && !c.at_worker) {
    if (c.peer_closed) {
      c.dead = true;
      return;
    }
    // Shut our side and read what the client still sends for a moment: closing with unread input
    // would reset the connection, and the client could lose the response.
    if (c.ssl) {
      tls_close(c.ssl, true);
      c.ssl = nullptr;
    }
    ::shutdown(c.fd, SHUT_WR);
    c.lingering = true;
    c.linger_since = now;
    c.last_read = now;
  } else if (!c.at_worker && c.parser.state() == ParseState::kIdle) {
    c.idle_since = now;
  }
}

void FrontEnd::take_completions(Clock::time_point now) {
  std::vector<Done> done;
  {
    std::lock_guard<std::mutex> lock(done_mutex_);
    done.swap(done_);
  }
  for (Done& d : done) {
    auto it = connections_.find(d.connection_id);
    if (it == connections_.end()) continue;  // the client left meanwhile
    Connection& c = *it->second;
    c.at_worker = false;
    if (c.out_pos == c.out.size()) c.write_since = now;
    c.out += d.bytes;
    if (d.close) c.close_after_write = true;
    write_to(c, now);
    if (!c.dead) process_input(c, now);
    // With TLS, pipelined bytes may already sit inside the session (read ahead, or decrypted),
    // where epoll cannot see them: read them now.
    if (!c.dead) read_tls_pending(c, now);
    if (c.dead) {
      close_connection(c.id);
    } else {
      update_interest(c);
    }
  }
}

FrontEnd::Clock::time_point FrontEnd::deadline_of(const Connection& c) const {
  auto ms = [&](int timeout_ms) {
    return std::chrono::milliseconds(c.probe_only ? std::min(timeout_ms, kProbeTimeoutMs)
                                                  : timeout_ms);
  };
  if (c.lingering) return std::min(c.linger_since + kLingerMax, c.last_read + kLingerQuiet);
  if (c.out_pos < c.out.size()) return c.write_since + ms(options_.write_timeout_ms);
  if (c.at_worker) return Clock::time_point::max();  // the service has its own timeout
  switch (c.parser.state()) {
    case ParseState::kIdle: return c.idle_since + ms(options_.idle_timeout_ms);
    case ParseState::kRequestLine: return c.first_byte + ms(options_.request_line_timeout_ms);
    case ParseState::kHeaders: return c.first_byte + ms(options_.header_timeout_ms);
    case ParseState::kBody: return c.headers_done + ms(options_.body_timeout_ms);
    default: return Clock::time_point::max();
  }
}

void FrontEnd::sweep(Clock::time_point now) {
  last_sweep_ = now;
  if (listening_ && accept_paused_until_ != Clock::time_point{} && now >= accept_paused_until_) {
    accept_paused_until_ = {};
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenId;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
  }
  const bool draining = draining_.load();
  if (draining && listening_) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    ::close(listen_fd_);
    listen_fd_ = -1;
    listening_ = false;
  }
  const bool past_drain = draining && now.time_since_epoch() >=
                                          std::chrono::nanoseconds(drain_deadline_ns_.load());
  std::vector<uint64_t> dead;
  for (auto& [id, cp] : connections_) {
    Connection& c = *cp;
    const bool answering = c.at_worker || c.close_after_write || c.lingering;
    if (past_drain && !answering && is_partial(c.parser.state())) {
      refuse(c, 503, "the server is shutting down and the request did not arrive in time", now);
      write_to(c, now);
    } else if (now >= deadline_of(c)) {
      if (c.lingering) {
        c.dead = true;
      } else if (c.out_pos < c.out.size()) {
        timed_out_.fetch_add(1);
        c.dead = true;  // the client does not read its responses
      } else if (c.parser.state() == ParseState::kIdle) {
        c.dead = true;  // keep-alive timeout: nothing to answer
      } else {
        timed_out_.fetch_add(1);
        const char* phase = c.parser.state() == ParseState::kRequestLine ? "request line"
                            : c.parser.state() == ParseState::kHeaders   ? "headers"
                                                                         : "body";
        refuse(c, 408, std::string("the request's ") + phase + " did not arrive in time; "
                           "send the whole request at once",
               now);
        write_to(c, now);
      }
    }
    // Bytes a TLS session holds that epoll cannot report (a read stopped at its limit).
    if (!c.dead) read_tls_pending(c, now);
    if (c.dead) {
      dead.push_back(id);
    } else {
      update_interest(c);
    }
  }
  for (uint64_t id : dead) close_connection(id);
}

bool FrontEnd::has_work(const Connection& c) const {
  if (c.lingering) return false;
  return c.at_worker || c.out_pos < c.out.size() || is_partial(c.parser.state()) ||
         c.in_pos < c.in.size();
}

void FrontEnd::update_interest(Connection& c) {
  const bool busy = has_work(c);
  if (busy != c.counted_busy) {
    c.counted_busy = busy;
    if (busy_connections_.fetch_add(busy ? 1 : -1) + (busy ? 1 : -1) == 0) {
      std::lock_guard<std::mutex> lock(state_mutex_);
      state_cv_.notify_all();
    }
  }
  uint32_t want = 0;
  const bool reading = c.lingering || (!c.at_worker && !c.close_after_write &&
                                       c.out.size() - c.out_pos < kMaxPendingOutput);
  if (reading && !c.peer_closed) want |= EPOLLIN | EPOLLRDHUP;
  if (c.out_pos < c.out.size() || c.tls_wants_write) want |= EPOLLOUT;
  if (want != c.interest) {
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = c.id;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
    c.interest = want;
  }
}

void FrontEnd::close_connection(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (c.counted_busy && busy_connections_.fetch_sub(1) == 1) {
    std::lock_guard<std::mutex> lock(state_mutex_);
    state_cv_.notify_all();
  }
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  tls_close(c.ssl, false);
  ::close(c.fd);
  if (c.probe_only) {
    probe_open_.fetch_sub(1);
  } else {
    open_.fetch_sub(1);
    auto pc = per_client_.find(c.peer);
    if (pc != per_client_.end() && --pc->second <= 0) per_client_.erase(pc);
  }
  connections_.erase(it);
}

}  // namespace fenlei::server
