#include "fenlei/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fenlei {

StatusOr<std::string> read_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return not_found_error(path + ": no such file");
    return invalid_argument_error(path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return invalid_argument_error(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument_error(path + ": cannot open for reading: " + std::strerror(errno));
  std::string data;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    data.resize(static_cast<size_t>(st.st_size));
    in.read(data.data(), st.st_size);
    data.resize(static_cast<size_t>(in.gcount()));
    // The file may have grown since stat(); read the rest.
    std::ostringstream rest;
    rest << in.rdbuf();
    data += rest.str();
  } else {
    std::ostringstream all;
    all << in.rdbuf();
    data = all.str();
  }
  if (in.bad()) return data_loss_error(path + ": read error");
  return data;
}

Status write_file_atomic(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return invalid_argument_error("cannot write " + path + ": " + std::strerror(errno) +
                                  " (check that the directory exists and is writable)");
  }
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return internal_error("writing " + tmp + " failed: " + err);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return internal_error("flushing " + tmp + " failed: " + err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return internal_error("renaming " + tmp + " to " + path + " failed: " + err);
  }
  return Status();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace fenlei
