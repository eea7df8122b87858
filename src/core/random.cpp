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

namespace {
__extension__ typedef unsigned __int128 U128;
}  // namespace

uint64_t uniform_multiply_shift(std::mt19937_64& rng, uint64_t n) {
  return static_cast<uint64_t>((static_cast<U128>(rng()) * n) >> 64);
}

uint64_t uniform_rejection_modulo(std::mt19937_64& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return r % n;
  }
}

uint64_t uniform_nearly_divisionless(std::mt19937_64& rng, uint64_t n) {
  U128 product = static_cast<U128>(rng()) * n;
  auto low = static_cast<uint64_t>(product);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      product = static_cast<U128>(rng()) * n;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

}  // namespace efm
