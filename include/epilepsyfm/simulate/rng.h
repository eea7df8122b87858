#pragma once
/// The simulator's random number generator: xoshiro256** (Blackman & Vigna 2018, "Scrambled linear pseudorandom
/// number generators") seeded through SplitMix64, with its own uniform, normal (Marsaglia polar method) and
/// exponential draws. The standard library's distributions differ between implementations; these do not, so a
/// seed gives the same cohort and the same EDF bytes with any C++ standard library.
#include <cmath>
#include <cstdint>

#include "epilepsyfm/core/random.h"

namespace efm::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto& s : s_) {
      x = splitmix64(x);
      s = x;
    }
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n), n >= 1.
  int64_t below(int64_t n) { return static_cast<int64_t>(uniform() * double(n)); }
  bool bernoulli(double p) { return uniform() < p; }
  /// Standard normal (Marsaglia polar method; the second value of each pair is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  /// Exponential with the given rate (> 0).
  double exponential(double rate) { return -std::log(1.0 - uniform()) / rate; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace efm::sim
