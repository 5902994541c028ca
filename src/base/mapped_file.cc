#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_util.h"

namespace fenlei {

StatusOr<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
  std::shared_ptr<MappedFile> f(new MappedFile());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      const size_t size = static_cast<size_t>(st.st_size);
      void* mem = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (mem != MAP_FAILED) {
        ::close(fd);  // the mapping keeps the file
        f->map_ = mem;
        f->map_size_ = size;
        f->bytes_ = std::string_view(static_cast<const char*>(mem), size);
        return std::shared_ptr<const MappedFile>(std::move(f));
      }
    }
    ::close(fd);
  }
  // Not mappable (or not openable: read_file gives the same errors as everywhere else).
  FENLEI_ASSIGN_OR_RETURN(f->copy_, read_file(path));
  f->bytes_ = f->copy_;
  return std::shared_ptr<const MappedFile>(std::move(f));
}

MappedFile::~MappedFile() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

}  // namespace fenlei
