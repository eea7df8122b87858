#include "epilepsyfm/core/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "epilepsyfm/core/check.h"

#ifndef EFM_SOURCE_DIR
#define EFM_SOURCE_DIR "."
#endif

namespace efm {
namespace fs = std::filesystem;

namespace {
void fsync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

fs::path temp_sibling(const fs::path& path) {
  static std::atomic<int> counter{0};
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  return dir / fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), counter++);
}

void atomic_rename(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  EFM_CHECK_DATA(!ec, "cannot rename {} to {}: {}", from.string(), to.string(), ec.message());
  fsync_path(to.has_parent_path() ? to.parent_path() : fs::path("."), /*directory=*/true);
}

void atomic_write_file(const fs::path& path, std::string_view content) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path tmp = temp_sibling(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    EFM_CHECK_DATA(out.good(), "cannot write {}: {}", tmp.string(), std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out.good()) {
      std::error_code ec;
      fs::remove(tmp, ec);
      EFM_CHECK_DATA(false, "cannot write {} (disk full?)", path.string());
    }
  }
  fsync_path(tmp, /*directory=*/false);
  atomic_rename(tmp, path);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EFM_CHECK_DATA(in.good(), "cannot open {}: {}", path.string(), std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path prepare_run_dir(const fs::path& dir, RunDirMode mode) {
  const fs::path abs = fs::absolute(dir).lexically_normal();
  const bool exists = fs::exists(abs);
  switch (mode) {
    case RunDirMode::resume:
      EFM_CHECK_CONFIG(exists && fs::is_directory(abs), "cannot resume: run directory {} does not exist", abs.string());
      break;
    case RunDirMode::create_new:
      EFM_CHECK_CONFIG(!exists || (fs::is_directory(abs) && fs::is_empty(abs)),
                       "run directory {} already exists and is not empty; use --resume to continue it or "
                       "--overwrite to replace it",
                       abs.string());
      fs::create_directories(abs);
      break;
    case RunDirMode::overwrite:
      if (exists) fs::remove_all(abs);
      fs::create_directories(abs);
      break;
  }
  return abs;
}

fs::path source_dir() {
  return fs::path(EFM_SOURCE_DIR);
}

fs::path real_data_dir() {
  fs::path p;
  if (const char* env = std::getenv("EPILEPSYFM_DATA"); env && *env) {
    p = env;
  } else {
    p = source_dir() / ".." / "shared" / "data";
  }
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return {};
  return fs::absolute(p).lexically_normal();
}

}  // namespace efm
