#include "epilepsyfm/core/random.h"

namespace efm {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t derive_seed(uint64_t base, std::string_view name, uint64_t index) {
  // FNV-1a over the stream name, then mixed with the base seed and index.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return splitmix64(splitmix64(base ^ h) + index);
}

}  // namespace efm
