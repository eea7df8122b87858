#pragma once
/// Seeding. Every random stream in the library derives its seed from the run seed and a stream name, so results
/// do not depend on thread scheduling or on which other components drew numbers first:
///   std::mt19937_64 rng(derive_seed(run_seed, "sampler", epoch));
/// Never use std::random_device in data or model code.
#include <cstdint>
#include <string_view>

namespace efm {

/// SplitMix64 step (Steele, Lea & Flood 2014): a good 64-bit mixer.
uint64_t splitmix64(uint64_t x);
/// A seed for stream `name` (and sub-index `index`) derived deterministically from `base`.
uint64_t derive_seed(uint64_t base, std::string_view name, uint64_t index = 0);

}  // namespace efm
