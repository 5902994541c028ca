#include "seg/dict_cache.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/crc32.h"
#include "base/file_util.h"

namespace fenlei::seg::detail {

std::string default_cache_dir() {
  const char* v = std::getenv("FENLEI_CACHE_DIR");
  if (v && *v) return v;
  v = std::getenv("XDG_CACHE_HOME");
  if (v && *v) return std::string(v) + "/fenlei";
  v = std::getenv("HOME");
  if (v && *v) return std::string(v) + "/.cache/fenlei";
  return "";
}

StatusOr<std::string> describe_source_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return not_found_error(path + ": no such file");
    return data_loss_error(path + ": cannot stat: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return invalid_argument_error(path + ": not a regular file");
  const long long mtime_ns =
      static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return "file " + path + "\t" + std::to_string(st.st_size) + "\t" + std::to_string(mtime_ns) +
         "\t" + std::to_string(st.st_ino) + "\n";
}

std::string cache_file_path(const std::string& dir, const std::string& key) {
  char name[32];
  std::snprintf(name, sizeof(name), "jieba-%08x.bin", crc32_str(key));
  return dir + "/" + name;
}

StatusOr<std::shared_ptr<const Model>> read_cache(const std::string& path, const std::string& key) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return not_found_error(path + ": no cache");
  struct stat st;
  if (::fstat(fileno(f), &st) != 0 || st.st_size < 0) {
    std::fclose(f);
    return data_loss_error(path + ": cannot stat");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  std::vector<uint64_t> storage((size + 7) / 8);
  const size_t got = size == 0 ? 0 : std::fread(storage.data(), 1, size, f);
  std::fclose(f);
  if (got != size) return data_loss_error(path + ": short read");
  auto model = attach_model(std::move(storage), size);
  if (!model.ok()) return model.status().with_context(path);
  if ((*model)->key != key) return failed_precondition_error(path + ": built from other sources");
  return model;
}

Status write_cache(const std::string& path, const std::string& blob) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return unavailable_error(path + ": cannot create cache directory: " + ec.message());
  return write_file_atomic(path, blob);
}

}  // namespace fenlei::seg::detail
