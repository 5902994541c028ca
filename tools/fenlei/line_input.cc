#include "line_input.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_util.h"

namespace fenlei::cli {
namespace {
constexpr size_t kReadChunk = 64 * 1024;
}  // namespace

LineInput::LineInput(int fd, bool owned, std::string name)
    : fd_(fd), owned_(owned), name_(std::move(name)) {}

LineInput::~LineInput() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

StatusOr<std::unique_ptr<LineInput>> LineInput::open(const std::string& path) {
  if (path.empty() || path == "-")
    return std::unique_ptr<LineInput>(new LineInput(STDIN_FILENO, false, "<stdin>"));
  if (!file_exists(path))
    return not_found_error(path + ": no such file (pass '-' or nothing to read standard input)");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return invalid_argument_error(path + ": cannot open for reading: " + std::strerror(errno));
  return std::unique_ptr<LineInput>(new LineInput(fd, true, path));
}

StatusOr<bool> LineInput::fill() {
  if (eof_) return false;
  // Drop what has been consumed before growing, so the buffer stays about one chunk long.
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  const size_t old = buffer_.size();
  buffer_.resize(old + kReadChunk);
  ssize_t n;
  do {
    n = ::read(fd_, &buffer_[old], kReadChunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    buffer_.resize(old);
    return data_loss_error(name_ + ": read failed after line " + std::to_string(line_number_) +
                           ": " + std::strerror(errno));
  }
  buffer_.resize(old + static_cast<size_t>(n));
  if (n == 0) eof_ = true;
  return n > 0;
}

StatusOr<bool> LineInput::next(std::string* line) {
  while (true) {
    const size_t nl = buffer_.find('\n', pos_);
    if (nl != std::string::npos) {
      line->assign(buffer_, pos_, nl - pos_);
      pos_ = nl + 1;
      break;
    }
    FENLEI_ASSIGN_OR_RETURN(bool more, fill());
    if (!more) {
      if (pos_ >= buffer_.size()) return false;
      line->assign(buffer_, pos_, std::string::npos);  // a last line without a newline
      pos_ = buffer_.size();
      break;
    }
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  ++line_number_;
  return true;
}

bool LineInput::ready() {
  if (eof_ || buffer_.find('\n', pos_) != std::string::npos) return true;
  pollfd p{fd_, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  // Readable, hung up or in error: next() will not wait (it reads, sees the end or fails).
  return r > 0;
}

}  // namespace fenlei::cli
