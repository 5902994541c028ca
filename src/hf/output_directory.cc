#include "hf/output_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "base/file_util.h"

namespace fenlei::hf {
namespace {

namespace fs = std::filesystem;

Status errno_error(const std::string& what) {
  return internal_error(what + ": " + std::strerror(errno));
}

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // some file systems refuse directory fsync; the rename still happened
  ::close(fd);
}

// Swaps two paths in one step; false where the kernel or file system cannot.
bool swap_paths(const std::string& a, const std::string& b) {
#ifdef RENAME_EXCHANGE
  return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
  (void)a;
  (void)b;
  return false;
#endif
}

Status check_existing(const std::string& dir, bool replace, bool* exists, bool* empty) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  *exists = fs::exists(st);
  *empty = true;
  if (!*exists) return Status();
  if (!fs::is_directory(st))
    return invalid_argument_error(dir + " exists and is not a directory");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    *empty = false;
    if (!replace)
      return failed_precondition_error(dir + " exists and is not empty; choose a new directory, "
                                             "or pass --force to replace it and everything in it");
    if (fs::is_directory(entry.symlink_status()))
      return invalid_argument_error(dir + " holds a subdirectory (" +
                                    entry.path().filename().string() +
                                    "); a checkpoint directory is flat, so it is not replaced");
  }
  if (ec) return invalid_argument_error(dir + ": cannot list it: " + ec.message());
  return Status();
}

}  // namespace

Status write_directory_atomic(const std::string& dir_in,
                              const std::map<std::string, std::string>& files, bool replace) {
  std::string dir = dir_in;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty() || dir == "/" || dir == "." || dir == "..")
    return invalid_argument_error("'" + dir_in + "' cannot be the output directory");
  for (const auto& [name, bytes] : files) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
      return invalid_argument_error("'" + name + "' is not a file name");
  }
  bool exists = false, empty = true;
  FENLEI_RETURN_IF_ERROR(check_existing(dir, replace, &exists, &empty));
  std::string parent = fs::path(dir).parent_path().string();
  if (parent.empty()) parent = ".";

  std::string tmpl = dir + ".tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    return invalid_argument_error("cannot create a directory beside " + dir + " (" +
                                  std::strerror(errno) + ")");
  const std::string tmp = buf.data();
  auto cleanup = [&](Status s) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    return s;
  };
  // mkdtemp makes the directory 0700; a directory made by mkdir would have 0777 & ~umask.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::chmod(tmp.c_str(), 0777 & ~mask) != 0) return cleanup(errno_error("chmod " + tmp));
  for (const auto& [name, bytes] : files) {
    if (Status s = write_file_atomic(tmp + "/" + name, bytes); !s.ok()) return cleanup(s);
  }
  sync_directory(tmp);

  if (!exists || empty) {
    // rename() replaces an empty directory in one step, or creates the name.
    if (::rename(tmp.c_str(), dir.c_str()) != 0)
      return cleanup(errno_error("cannot rename " + tmp + " to " + dir));
  } else if (swap_paths(tmp, dir)) {
    std::error_code ec;
    fs::remove_all(tmp, ec);  // now the old directory
  } else {
    const std::string old = tmp + ".old";
    if (::rename(dir.c_str(), old.c_str()) != 0)
      return cleanup(errno_error("cannot move " + dir + " aside"));
    if (::rename(tmp.c_str(), dir.c_str()) != 0) {
      Status s = errno_error("cannot rename " + tmp + " to " + dir);
      ::rename(old.c_str(), dir.c_str());
      return cleanup(s);
    }
    std::error_code ec;
    fs::remove_all(old, ec);
  }
  sync_directory(parent);
  return Status();
}

}  // namespace fenlei::hf
