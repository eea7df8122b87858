#pragma once
/// Streaming preprocessing of one recording (after the montage, see montage.h): zero-phase band-pass and notch ->
/// anti-aliased polyphase resampling to the target rate, applied chunk by chunk with bounded memory (no whole-recording
/// buffers), so a 24-hour file costs the same memory as a 1-hour one. Normalisation statistics (per-channel mean and
/// standard deviation of the output) are accumulated on the way.
///
///   Preprocessor pp(resolve_profile("epilepsyfm"), /*in_sfreq_hz=*/256.0, /*n_channels=*/19);
///   for (chunk : chunks) { Eigen::MatrixXf out = pp.push(chunk); store(out); }   // chunk: [channels, samples], uV
///   store(pp.finish());
///   auto stats = pp.stats();   // mean_uv / std_uv per channel
///
/// Zero phase: the FIR filters are linear-phase and their group delay is compensated, with the signal ends padded
/// by reflection as MNE's default ("reflect_limited") does, so the output is aligned sample-for-sample with the
/// input and matches MNE's FIR filtering (golden tests state the tolerance).
#include <Eigen/Core>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace efm::signal {

/// Fully resolved preprocessing parameters (no "profile default" left open).
struct PreprocessOptions {
  std::string profile = "epilepsyfm";    ///< name it was resolved from (recorded for provenance)
  double l_freq_hz = 0.5;                ///< band-pass low edge; <= 0 disables the high-pass part
  double h_freq_hz = 70.0;               ///< band-pass high edge; <= 0 disables the low-pass part
  std::vector<double> notch_hz{50.0};    ///< line frequencies; empty = no notch
  bool notch_harmonics = true;           ///< also notch 2f, 3f, ... below the Nyquist frequency
  double sfreq_hz = 200.0;               ///< output rate
  std::string normalization = "zscore";  ///< zscore | scale | none (applied when windows are read)
  double scale = 1.0;                    ///< for "scale": multiply microvolts by this (LaBraM/CBraMod: 0.01)
  std::optional<double> reject_abs_uv;   ///< windows with any |x| >= this many uV are marked rejected (CBraMod: 100)
};

/// Profiles of ARCHITECTURE.md §4: "labram" (0.1-75 Hz, 50 Hz notch, 200 Hz, uV/100), "cbramod" (0.3-75 Hz, 60 Hz
/// notch, 200 Hz, uV/100, reject |x| >= 100 uV), "epilepsyfm" (0.5-70 Hz, 50 Hz notch, 200 Hz, z-score), "none"
/// (resample only). Throws ConfigError listing the known names.
PreprocessOptions resolve_profile(const std::string& name);

/// Per-channel statistics of the preprocessed output (microvolts).
struct ChannelStats {
  std::vector<double> mean_uv;
  std::vector<double> std_uv;
  std::vector<double> max_abs_uv;
};

class Preprocessor {
 public:
  Preprocessor(const PreprocessOptions& options, double in_sfreq_hz, int n_channels);
  ~Preprocessor();
  Preprocessor(Preprocessor&&) noexcept;
  Preprocessor& operator=(Preprocessor&&) noexcept;

  /// Feeds the next [n_channels, n] input samples (microvolts); returns the output samples that are final so far
  /// ([n_channels, m], m may be 0 at the start because of filter look-ahead).
  Eigen::MatrixXf push(const Eigen::Ref<const Eigen::MatrixXf>& chunk);
  /// Flushes the tail (reflection padding at the end); no push() after this.
  Eigen::MatrixXf finish();

  double out_sfreq_hz() const;
  /// Exact number of output samples for `n_in` input samples.
  int64_t output_length(int64_t n_in) const;
  /// Statistics of everything returned so far.
  ChannelStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace efm::signal
