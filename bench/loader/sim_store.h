#pragma once
// The store bench/loader reads: recordings of Gaussian noise in microvolts, written through StoreWriter like an
// ingest would (uncompressed, 10-s chunks, z-score statistics, one 4-s window every 4 s).
#include <cstdint>
#include <filesystem>
#include <string>

#include "epilepsyfm/io/store.h"

namespace efm::bench {

struct SimStoreSpec {
  int recordings = 24;
  double minutes = 30;  ///< per recording
  int channels = 23;
  double sfreq_hz = 200;
  double window_s = 4;
  io::StoreDtype dtype = io::StoreDtype::float32;
};

/// Writes the store into `dir` (which must not hold one) and returns its signal bytes on disk.
int64_t write_sim_store(const std::filesystem::path& dir, const SimStoreSpec& spec);

std::string to_string(io::StoreDtype dtype);

}  // namespace efm::bench
