#include "base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/io_hooks.h"

namespace fenlei {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// "dir/name" -> {"dir", "name"}; "name" -> {".", "name"}; "/name" -> {"/", "name"}.
std::pair<std::string, std::string> split_path(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// Closes the descriptor and removes the temporary file unless released.
class TempFile {
 public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes the descriptor; returns the errno of close(2), or 0.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void release() { path_.clear(); }

 private:
  int fd_;
  std::string path_;
};

Status write_all(int fd, std::string_view data, const std::string& what) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = io_hooks::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      return (err == ENOSPC || err == EDQUOT ? resource_exhausted_error : internal_error)(
          "writing " + what + " failed: " + errno_text(err) + " (the previous file is unchanged)");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status();
}

// fsync of a directory makes a rename in it durable. Some file systems refuse directory fsync
// (EINVAL); that is not an error worth failing a write for.
Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return internal_error("cannot open directory " + dir + ": " + errno_text(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL && err != EROFS) {
    return internal_error("syncing directory " + dir + " failed: " + errno_text(err));
  }
  return Status();
}

}  // namespace

StatusOr<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return not_found_error(path + ": no such file");
    return invalid_argument_error(path + ": cannot open for reading: " + errno_text(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return invalid_argument_error(path + ": " + errno_text(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return invalid_argument_error(path + ": is a directory, not a file");
  }
  std::string data;
  // The size is a hint only: the file may grow or shrink, and pipes report 0.
  if (S_ISREG(st.st_mode) && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = io_hooks::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return data_loss_error(path + ": read error after " + std::to_string(data.size()) +
                             " bytes: " + errno_text(err));
    }
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

Status write_file_atomic(const std::string& path, std::string_view data) {
  return write_file_atomic_streamed(path, [data](const ByteSink& sink) { return sink(data); });
}

Status write_file_atomic_streamed(const std::string& path,
                                  const std::function<Status(const ByteSink&)>& produce) {
  const auto [dir, name] = split_path(path);
  if (name.empty()) return invalid_argument_error("cannot write " + path + ": not a file name");
  // mkstemp opens with O_CREAT | O_EXCL: it never follows or reuses an existing name, so a
  // symlink planted where the temporary file goes cannot redirect the write.
  std::string tmpl = (dir == "/" ? "" : dir) + "/." + name + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    return invalid_argument_error("cannot write " + path + ": " + errno_text(errno) +
                                  " (check that the directory exists and is writable)");
  }
  TempFile tmp(fd, tmpl);
  // mkstemp makes the file 0600; models are shared like any other output file.
  if (::fchmod(fd, 0644) != 0) {
    return internal_error("cannot set permissions of " + tmp.path() + ": " + errno_text(errno));
  }
  FENLEI_RETURN_IF_ERROR(
      produce([fd, &path](std::string_view bytes) { return write_all(fd, bytes, path); }));
  if (::fsync(fd) != 0) {
    return internal_error("flushing " + path + " to disk failed: " + errno_text(errno) +
                          " (the previous file is unchanged)");
  }
  if (int err = tmp.close(); err != 0) {
    return internal_error("closing " + tmp.path() + " failed: " + errno_text(err));
  }
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) {
    return internal_error("renaming " + tmp.path() + " to " + path + " failed: " +
                          errno_text(errno));
  }
  tmp.release();
  return sync_directory(dir);
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Status check_output_path(const std::string& output, const std::vector<std::string>& inputs,
                         const std::string& flag, bool atomic) {
  if (output.empty()) return invalid_argument_error("no " + flag + " file given");
  struct stat out_st;
  const bool exists = ::stat(output.c_str(), &out_st) == 0;
  if (exists) {
    if (S_ISDIR(out_st.st_mode)) {
      return invalid_argument_error(flag + " " + output + " is a directory; name a file");
    }
    if (atomic && !S_ISREG(out_st.st_mode)) {
      return invalid_argument_error(flag + " " + output +
                                    " is not a regular file (a device or pipe); name a file");
    }
    for (const std::string& input : inputs) {
      struct stat in_st;
      if (input.empty() || ::stat(input.c_str(), &in_st) != 0) continue;
      if (in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) {
        return invalid_argument_error(
            flag + " " + output + " is the input file " + input +
            (input == output ? "" : " (the same file by another name or link)") +
            "; writing it would destroy the input: choose another " + flag);
      }
    }
    if (!atomic) {
      // Written in place (a log, /dev/stderr): it is enough that it opens for writing. A FIFO
      // without a reader yet (ENXIO) gets one later.
      const int fd = ::open(output.c_str(), O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      if (fd < 0 && errno != ENXIO) {
        return invalid_argument_error("cannot write " + flag + " " + output + ": " +
                                      errno_text(errno));
      }
      if (fd >= 0) ::close(fd);
      return Status();
    }
  }
  // Probe the directory the way write_file_atomic will use it: by creating a file in it (access()
  // is wrong for root and for read-only file systems).
  const std::string dir = split_path(output).first;
  struct stat dir_st;
  if (::stat(dir.c_str(), &dir_st) != 0 || !S_ISDIR(dir_st.st_mode)) {
    return invalid_argument_error("cannot write " + flag + " " + output + ": the directory " + dir +
                                  " does not exist");
  }
  std::string probe = (dir == "/" ? "" : dir) + "/.fenlei-write-test-XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    return invalid_argument_error("cannot write " + flag + " " + output + ": " + errno_text(errno) +
                                  " (the directory " + dir + " is not writable)");
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return Status();
}

}  // namespace fenlei
