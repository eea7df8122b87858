#pragma once
/// Exact sampling rates and resampling ratios.
///
/// An EDF signal's rate is samples_per_record / record_duration, with the duration written as up to 8 ASCII
/// characters ("1", "0.23814"): a rational number, which a double only approximates (238 / 0.23814 s =
/// 1700000/1701 Hz ~ 999.412 Hz). Resampling needs the ratio out/in as a reduced fraction up/down; this header
/// finds it exactly when it is small enough and otherwise approximates it and states the resulting timing drift.
#include <cstdint>
#include <string>
#include <string_view>

namespace efm::signal {

/// A rate num/den Hz (num, den > 0, reduced).
struct RationalRate {
  int64_t num = 0;
  int64_t den = 1;
  double hz() const { return static_cast<double>(num) / static_cast<double>(den); }
};

/// The exact rate of an EDF/BDF signal from its header fields as written: `samples_per_record` and the record
/// duration text ("1", "0.5", "0.23814", "23.59887"; a plain decimal, no exponent). Throws DataError naming the text
/// when it is not a positive decimal or the fraction does not fit 64-bit integers.
RationalRate edf_sampling_rate(int64_t samples_per_record, std::string_view record_duration_text);

/// The best rational approximation of `hz` with numerator and denominator <= `max_term` (continued fractions;
/// exact for values such as 173.61 = 17361/100 or 256).
RationalRate rational_rate(double hz, int64_t max_term = 1000000000);

/// The polyphase ratio out/in = up/down (reduced).
struct ResampleRatio {
  int64_t up = 1;
  int64_t down = 1;
  bool exact = true;            ///< up/down equals out/in (to 1e-12 relative for double inputs)
  double relative_error = 0.0;  ///< (up/down) / (out/in) - 1
  /// Timing error of the output clock accumulated over 24 h of signal, in output samples (0 when exact). The
  /// project's bar is < 1 sample per 24 h; resample_ratio() only exceeds it when forced by `max_factor`.
  double drift_samples_per_day = 0.0;
  std::string describe() const;  ///< "5/4 (exact)" or "20000/17361 (approximate: drift 0.003 samples per 24 h)"
};

/// Default bound on up and down: the resampling filter has 20 * max(up, down) + 1 taps (SciPy's resample_poly
/// design), so 65536 bounds it at ~1.3 M taps (5 MB as float).
inline constexpr int64_t kDefaultMaxResampleFactor = 65536;

/// Ratio for rates given as doubles: the first continued-fraction convergent of out_hz / in_hz that matches it to
/// 1e-12 (exact for 160->200 = 5/4, 173.61->200 = 20000/17361, (1700000/1701)->200 = 1701/8500), else the best
/// approximation with up, down <= max_factor. Throws ArgumentError for non-positive or non-finite rates.
ResampleRatio resample_ratio(double in_hz, double out_hz, int64_t max_factor = kDefaultMaxResampleFactor);
/// Same from exact rates (e.g. edf_sampling_rate()): exact whenever the reduced ratio fits `max_factor`.
ResampleRatio resample_ratio(const RationalRate& in, const RationalRate& out,
                             int64_t max_factor = kDefaultMaxResampleFactor);

}  // namespace efm::signal
