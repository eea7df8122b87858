#pragma once
/// SHA-256 (FIPS 180-4) of byte strings and files, as lowercase hex. Used to fingerprint source recordings.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace efm {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// Finishes and returns the 64-character hex digest. The object must not be updated afterwards.
  std::string hex_digest();

 private:
  /// Compresses `n` consecutive 64-byte blocks (SHA extensions when the CPU has them, else portable code).
  void compress(const uint8_t* blocks, size_t n = 1);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);
/// Streams the file (constant memory); throws DataError naming the path.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace efm
