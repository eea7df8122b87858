#include <fmt/format.h>

#include <cmath>

#include "epilepsyfm/core/error.h"
#include "io/detail/readers.h"

namespace efm::io::detail {

void check_read_request(const RecordingInfo& info, int signal, int64_t start, int64_t count, const void* out) {
  if (signal < 0 || signal >= int(info.signals.size()))
    throw ArgumentError(fmt::format("{}: data signal index {} is out of range (the recording has {} data signals)",
                                    info.path.string(), signal, info.signals.size()));
  const SignalHeader& s = info.signals[size_t(signal)];
  if (start < 0 || count < 0 || start > s.n_samples || count > s.n_samples - start)
    throw ArgumentError(fmt::format("{}: samples [{}, {}) of signal '{}' are out of range (it has {} samples)",
                                    info.path.string(), start, start + count, s.label, s.n_samples));
  if (count > 0 && out == nullptr)
    throw ArgumentError(fmt::format("{}: null output buffer for {} samples", info.path.string(), count));
}

void finish_samples(const RecordingInfo& info, int signal, int64_t start, int64_t count, double* out) {
  const SignalHeader& s = info.signals[size_t(signal)];
  if (s.microvolts_per_unit > 0 && s.microvolts_per_unit != 1.0) {
    const double f = s.microvolts_per_unit;
    for (int64_t i = 0; i < count; ++i) out[i] *= f;
  }
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(out[i]))
      throw DataError(fmt::format("{}: signal '{}' has a non-finite value ({}) at sample {}", info.path.string(),
                                  s.label, out[i], start + i));
  }
}

void check_block_request(const RecordingInfo& info, const std::vector<int>& signals, int64_t start, int64_t count,
                         const float* out, int64_t ld) {
  if (ld < static_cast<int64_t>(signals.size()))
    throw ArgumentError(fmt::format("{}: read_block: leading dimension {} is smaller than the {} signals requested",
                                    info.path.string(), ld, signals.size()));
  for (int s : signals) check_read_request(info, s, start, count, out);
}

}  // namespace efm::io::detail
