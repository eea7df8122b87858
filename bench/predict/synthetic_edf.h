#pragma once
// The benchmark's input recording: 64 scalp channels (the 10-10 positions of a 64-electrode cap) at 160 Hz, written
// with the project's EDF writer (io/edf_writer.h).
#include <cstdint>
#include <filesystem>

namespace efm::bench {

/// Writes `hours` of seeded synthetic EEG (per channel: AR(1) background, a 10-Hz alpha rhythm, a little 50-Hz line
/// noise; about 30 uV RMS) as an EDF+ file with 1-s records. Deterministic for a given seed.
void write_synthetic_edf(const std::filesystem::path& path, double hours, uint64_t seed = 7);

/// Channels and rate of that file.
inline constexpr int kSyntheticChannels = 64;
inline constexpr int kSyntheticRateHz = 160;

}  // namespace efm::bench
