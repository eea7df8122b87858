#pragma once
// A whole file mapped read-only into memory (POSIX mmap). The store maps completed shards, which are never written
// again, so readers copy signal chunks out of the mapping from any thread without HDF5 or a lock.
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace efm::io::detail {

class MappedFile {
 public:
  /// Maps `path` read-only. Throws DataError naming the file and the system error when it cannot be opened or
  /// mapped. An empty file maps to size() == 0 and data() == nullptr.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace efm::io::detail
