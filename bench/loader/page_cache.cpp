#include "page_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace efm::bench {

namespace fs = std::filesystem;

std::vector<fs::path> shard_files(const fs::path& store) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(store)) {
    if (e.path().extension() == ".h5") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
int open_or_throw(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot open {}", p.string()));
  return fd;
}
}  // namespace

void evict(const fs::path& store) {
  for (const auto& p : shard_files(store)) {
    const int fd = open_or_throw(p);
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

double resident_fraction(const fs::path& store) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t total = 0, resident = 0;
  for (const auto& p : shard_files(store)) {
    const int fd = open_or_throw(p);
    struct stat st {};
    ::fstat(fd, &st);
    const size_t size = static_cast<size_t>(st.st_size);
    if (size > 0) {
      void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (m != MAP_FAILED) {
        std::vector<unsigned char> v((size + page - 1) / page);
        if (::mincore(m, size, v.data()) == 0) {
          for (unsigned char b : v) resident += b & 1u;
          total += v.size();
        }
        ::munmap(m, size);
      }
    }
    ::close(fd);
  }
  return total ? static_cast<double>(resident) / static_cast<double>(total) : 0.0;
}

}  // namespace efm::bench
