#pragma once
// The two measurements of bench/loader: shuffled windows read through StoreReader by T threads, and batches
// delivered by the training Loader with W workers (what the trainer sees).
#include <cstdint>
#include <filesystem>
#include <vector>

#include "epilepsyfm/io/store.h"

namespace efm::bench {

struct Rate {
  int64_t windows = 0;
  double seconds = 0;
  double wait_s = 0;  ///< loader only: time the consumer blocked in next()
  double per_s() const { return seconds > 0 ? static_cast<double>(windows) / seconds : 0.0; }
};

struct WindowAt {
  size_t recording = 0;
  int64_t start = 0;
};

/// Every window of the store's window tables, shuffled with `seed`.
std::vector<WindowAt> shuffled_windows(const io::StoreReader& reader, uint64_t seed);

/// `threads` threads read normalised windows of `n_samples` from `order` (thread t takes t, t + threads, ...,
/// cycling through the list) until `budget_s` has passed; budget_s 0: exactly one pass.
Rate read_windows(const io::StoreReader& reader, const std::vector<WindowAt>& order, int64_t n_samples, int threads,
                  double budget_s);

struct LoaderRun {
  int workers = 1;
  int64_t batch = 64;
  bool pinned = false;
  double budget_s = 3;
  int64_t max_windows = 0;  ///< stop after this many (0: one epoch)
  bool map_signal = true;
};

/// Opens the store as the trainer does (StoreWindowSource, 4-s windows, shuffled sampler), then times the Loader
/// from its start until budget_s or max_windows windows have been delivered.
Rate load_batches(const std::filesystem::path& store, const LoaderRun& run);

}  // namespace efm::bench
