#pragma once
// A fake recording for the data layer's tests (ingest, recording pipeline): sines on labelled signals, optionally
// EDF+D with two segments, NaN or read failures at chosen samples.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/io/reader.h"

namespace efm::data::fake {
namespace fs = std::filesystem;

inline constexpr double kPi = 3.14159265358979323846;

struct FakeSpec {
  std::vector<std::string> labels{"EEG Fp1-REF", "EEG F7-REF", "ECG EKG-REF"};
  std::vector<double> rates;  ///< per signal; empty = all `sfreq`
  double sfreq = 250;
  int64_t seconds = 300;
  int64_t throw_after_sample = -1;  ///< read() of later samples throws DataError
  bool nan_at_100s = false;
  double gain = 1.0;  ///< multiplies every value (e.g. beyond float16's range)
  /// EDF+D: split the records into two segments, the second starting `gap_s` seconds after the first ends.
  int64_t split_at_s = 0;
  double gap_s = 0;
};

/// Signal k: a 10 Hz sine of 50 uV plus a 3 Hz sine of 20*k uV (all pass the 0.5-70 Hz band).
inline double fake_value(int k, double t) {
  return 50.0 * std::sin(2 * kPi * 10.0 * t) + 20.0 * k * std::sin(2 * kPi * 3.0 * t + k);
}

class FakeSource : public io::SignalSource {
 public:
  FakeSource(const fs::path& path, FakeSpec spec) : spec_(std::move(spec)) {
    info_.path = path;
    info_.format = "EDF+C";
    info_.reader = "fake";
    // One data record holding everything (as the Bonn EDFs do), so non-integer rates are exact.
    const int64_t n = std::llround(spec_.sfreq * static_cast<double>(spec_.seconds));
    info_.record_duration_s = static_cast<double>(spec_.seconds);
    info_.n_records = spec_.seconds > 0 ? 1 : 0;
    info_.duration_s = static_cast<double>(spec_.seconds);
    info_.segments = {io::Segment{0.0, 0, info_.n_records}};
    for (size_t i = 0; i < spec_.labels.size(); ++i) {
      io::SignalHeader s;
      s.label = spec_.labels[i];
      s.unit = "uV";
      s.sfreq_hz = spec_.rates.empty() ? spec_.sfreq : spec_.rates[i];
      s.n_samples = spec_.rates.empty() ? n : std::llround(s.sfreq_hz * static_cast<double>(spec_.seconds));
      s.samples_per_record = s.n_samples;
      s.physical_min = -1000;
      s.physical_max = 1000;
      s.digital_min = -32768;
      s.digital_max = 32767;
      s.microvolts_per_unit = 1.0;
      info_.signals.push_back(s);
    }
    if (spec_.split_at_s > 0) {
      // One-second records, two segments: [0, split) and [split, seconds) shifted by the gap.
      info_.format = "EDF+D";
      info_.record_duration_s = 1.0;
      info_.n_records = spec_.seconds;
      info_.duration_s = static_cast<double>(spec_.seconds) + spec_.gap_s;
      info_.segments = {io::Segment{0.0, 0, spec_.split_at_s},
                        io::Segment{static_cast<double>(spec_.split_at_s) + spec_.gap_s, spec_.split_at_s,
                                    spec_.seconds - spec_.split_at_s}};
      for (auto& s : info_.signals) s.samples_per_record = static_cast<int64_t>(s.sfreq_hz);
    }
    info_.annotations = {io::Annotation{20.0, 8.0, "artifact"}};
  }
  const io::RecordingInfo& info() const override { return info_; }
  void read(int signal, int64_t start, int64_t count, double* out) override {
    const double fs_hz = info_.signals[static_cast<size_t>(signal)].sfreq_hz;
    for (int64_t j = 0; j < count; ++j) {
      const int64_t i = start + j;
      if (spec_.throw_after_sample >= 0 && i > spec_.throw_after_sample) {
        throw DataError(
            fmt::format("{}: simulated truncation: sample {} is missing", info_.path.filename().string(), i));
      }
      out[j] = spec_.gain * fake_value(signal, static_cast<double>(i) / fs_hz);
      if (spec_.nan_at_100s && i == static_cast<int64_t>(100 * fs_hz)) out[j] = std::nan("");
    }
  }

 private:
  FakeSpec spec_;
  io::RecordingInfo info_;
};

}  // namespace efm::data::fake
