// Synthetic 64-channel EDF+ input of bench/predict (synthetic_edf.h).
#include "predict/synthetic_edf.h"

#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "epilepsyfm/io/edf_writer.h"

namespace efm::bench {

namespace {

// The 64 electrodes of the 10-10 cap used by PhysioNet's EEG Motor Movement/Imagery data set, in its order.
const std::array<const char*, kSyntheticChannels> kLabels{
    "FC5", "FC3", "FC1", "FCz", "FC2", "FC4", "FC6", "C5",  "C3",  "C1",  "Cz",  "C2",  "C4",  "C6",  "CP5", "CP3",
    "CP1", "CPz", "CP2", "CP4", "CP6", "Fp1", "Fpz", "Fp2", "AF7", "AF3", "AFz", "AF4", "AF8", "F7",  "F5",  "F3",
    "F1",  "Fz",  "F2",  "F4",  "F6",  "F8",  "FT7", "FT8", "T7",  "T8",  "T9",  "T10", "TP7", "TP8", "P7",  "P5",
    "P3",  "P1",  "Pz",  "P2",  "P4",  "P6",  "P8",  "PO7", "PO3", "POz", "PO4", "PO8", "O1",  "Oz",  "O2",  "Iz"};

}  // namespace

void write_synthetic_edf(const std::filesystem::path& path, double hours, uint64_t seed) {
  std::vector<io::EdfSignalSpec> specs;
  for (const char* label : kLabels) specs.push_back({label, kSyntheticRateHz, -3200.0, 3200.0});
  io::EdfWriter w(path, io::EdfWriterOptions{}, specs);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  const double pi = std::acos(-1.0);
  std::vector<double> state(kSyntheticChannels, 0.0), phase(kSyntheticChannels);
  for (auto& p : phase) p = 2 * pi * std::uniform_real_distribution<double>(0, 1)(rng);
  std::vector<std::vector<double>> record(kSyntheticChannels, std::vector<double>(kSyntheticRateHz));
  std::vector<const double*> ptrs;
  for (const auto& r : record) ptrs.push_back(r.data());
  const auto n_records = static_cast<int64_t>(std::llround(hours * 3600.0));
  for (int64_t r = 0; r < n_records; ++r) {
    for (int c = 0; c < kSyntheticChannels; ++c) {
      for (int j = 0; j < kSyntheticRateHz; ++j) {
        const double t = static_cast<double>(r) + static_cast<double>(j) / kSyntheticRateHz;
        state[c] = 0.95 * state[c] + 8.0 * noise(rng);  // AR(1): ~25 uV RMS, 1/f-like
        record[c][j] = state[c] + 15.0 * std::sin(2 * pi * 10.0 * t + phase[c]) + 2.0 * std::sin(2 * pi * 50.0 * t);
      }
    }
    w.write_record(ptrs);
  }
  w.close();
}

}  // namespace efm::bench
