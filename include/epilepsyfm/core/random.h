#pragma once
/// Seeding. Every random stream in the library derives its seed from the run seed and a stream name, so results
/// do not depend on thread scheduling or on which other components drew numbers first:
///   std::mt19937_64 rng(derive_seed(run_seed, "sampler", epoch));
/// Never use std::random_device in data or model code.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

namespace efm {

/// SplitMix64 step (Steele, Lea & Flood 2014): a good 64-bit mixer.
uint64_t splitmix64(uint64_t x);
/// A seed for stream `name` (and sub-index `index`) derived deterministically from `base`.
uint64_t derive_seed(uint64_t base, std::string_view name, uint64_t index = 0);

// Bounded draws from one engine, written out so that every standard library gives the same numbers. They are three
// different algorithms on purpose: each random stream keeps the draw it was made with (changing one would change
// the sampler's order, the masks or the splits, and with them every checkpoint).

/// Uniform index in [0, n), n >= 1, from exactly one 64-bit draw: Lemire's multiply-shift (rng() * n) >> 64, bias
/// < n / 2^64. The window sampler's draw.
uint64_t uniform_multiply_shift(std::mt19937_64& rng, uint64_t n);
/// Uniform index in [0, n), n >= 1, by rejection: draws below 2^64 mod n are redrawn, then r mod n. Unbiased. The
/// masking's draw.
uint64_t uniform_rejection_modulo(std::mt19937_64& rng, uint64_t n);
/// Uniform index in [0, n), n >= 1: Lemire's nearly divisionless method (Lemire 2019, "Fast random integer
/// generation in an interval"), multiply-shift with rejection of the low word below 2^64 mod n. Unbiased; the
/// algorithm libstdc++'s std::uniform_int_distribution uses for a 64-bit engine.
uint64_t uniform_nearly_divisionless(std::mt19937_64& rng, uint64_t n);

/// Fisher-Yates from the back: for i = n-1 .. 1, swap v[i] with v[draw(rng, i + 1)], where `draw` is one of the
/// bounded draws above.
template <class T>
void fisher_yates(std::vector<T>& v, std::mt19937_64& rng, uint64_t (*draw)(std::mt19937_64&, uint64_t)) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[draw(rng, i)]);
}

/// Shuffles `v` as libstdc++'s std::shuffle(v.begin(), v.end(), rng) does (GCC 12 <bits/stl_algo.h>), on every
/// standard library: from the front, two swap positions per draw while n^2 fits in 64 bits (x uniform in
/// [0, (i+1)(i+2)) gives x / (i+2) for position i and x mod (i+2) for position i+1; an even n first swaps position
/// 1 alone), one per draw otherwise; every draw is uniform_nearly_divisionless.
template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  const uint64_t n = v.size();
  if (n == 0) return;
  if (UINT64_MAX / n >= n) {
    size_t i = 1;
    if (n % 2 == 0) {
      std::swap(v[i], v[uniform_nearly_divisionless(rng, 2)]);
      ++i;
    }
    while (i != n) {
      const uint64_t range = i + 1;
      const uint64_t x = uniform_nearly_divisionless(rng, range * (range + 1));
      std::swap(v[i], v[x / (range + 1)]);
      ++i;
      std::swap(v[i], v[x % (range + 1)]);
      ++i;
    }
    return;
  }
  for (size_t i = 1; i != n; ++i) std::swap(v[i], v[uniform_nearly_divisionless(rng, i + 1)]);
}

}  // namespace efm
