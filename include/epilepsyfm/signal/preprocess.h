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
///
/// Pipeline details (Preprocessor::describe() prints the resolved one):
///  - band-pass: design_fir_filter(in_sfreq, l_freq, h_freq) = mne.filter.filter_data's kernel. A band edge at or
///    above the input's Nyquist frequency is dropped (e.g. h_freq 70 Hz for a 100 Hz recording: there is nothing
///    above 50 Hz to remove; the resampler's anti-aliasing low-pass still band-limits); l_freq <= 0 or h_freq <= 0
///    disables that side.
///  - notch: design_notch_filter(in_sfreq, notch_frequencies(notch_hz, notch_harmonics)) = mne.filter.notch_filter's
///    kernel; line frequencies whose stop band does not fit below the input's Nyquist frequency are dropped.
///  - band-pass and notch are applied as ONE kernel (their convolution, length L_bp + L_notch - 1), equal to MNE's
///    filter_data followed by notch_filter: point reflection commutes with symmetric kernels, so padding once with
///    the combined kernel equals padding twice, ends included, whenever the band-pass kernel is at least as long as
///    the notch kernel (l_freq <= 0.5 Hz with the defaults; golden-tested to float rounding). With a shorter
///    band-pass kernel (l_freq > 0.5 Hz) or a recording shorter than the kernel, the first/last few hundred samples
///    can differ slightly from the sequential MNE calls; the interior is identical.
///  - resampling: PolyphaseResampler with up/down = resample_ratio(in_sfreq, sfreq) (rate.h): exact for every rate
///    whose ratio to the target reduces to terms <= 65536 (100, 160, 173.61, 250, 256, 500, 512, 1000,
///    1700000/1701 Hz ...), otherwise the closest such ratio, with the drift stated in describe() and logged.
/// Normalisation is NOT applied here (the store keeps microvolts); see normalize.h.
#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/signal/rate.h"

namespace efm {
class ThreadPool;
}

namespace efm::signal {

/// Fully resolved preprocessing parameters (no "profile default" left open).
struct PreprocessOptions {
  std::string profile = "epilepsyfm";  ///< name it was resolved from (recorded for provenance)
  double l_freq_hz = 0.5;              ///< band-pass low edge; <= 0 disables the high-pass part
  double h_freq_hz = 70.0;             ///< band-pass high edge; <= 0 disables the low-pass part
  std::vector<double> notch_hz{50.0};  ///< line frequencies; empty = no notch
  bool notch_harmonics = true;         ///< also notch 2f, 3f, ... below the Nyquist frequency
  double sfreq_hz = 200.0;             ///< output rate
  config::Normalization normalization = config::Normalization::zscore;  ///< applied when windows are read
  double scale = 1.0;                   ///< for "scale": multiply microvolts by this (LaBraM/CBraMod: 0.01)
  std::optional<double> reject_abs_uv;  ///< windows with any |x| >= this many uV are marked rejected (CBraMod: 100)

  // Filter design details (MNE defaults).
  std::optional<double> l_trans_bandwidth_hz;  ///< nullopt = MNE 'auto'
  std::optional<double> h_trans_bandwidth_hz;  ///< nullopt = MNE 'auto'
  std::optional<double> notch_width_hz;        ///< nullopt = f / 200 (MNE)
  double notch_trans_bandwidth_hz = 1.0;       ///< MNE notch_filter trans_bandwidth
  config::FirWindow fir_window = config::FirWindow::hamming;
  int64_t max_resample_factor = 65536;  ///< bound on up/down of the resampling ratio (rate.h)

  /// Throws ConfigError naming the field for invalid values (negative rates, l >= h, ...).
  void validate() const;

  /// The field list, with the keys of config::PreprocessConfig (config::copy_fields pairs them by key).
  template <class V>
  void visit(V& v) {
    v("profile", profile);
    v("l_freq_hz", l_freq_hz);
    v("h_freq_hz", h_freq_hz);
    v("notch_hz", notch_hz);
    v("notch_harmonics", notch_harmonics);
    v("sfreq_hz", sfreq_hz);
    v("normalization", normalization);
    v("scale", scale);
    v("reject_abs_uv", reject_abs_uv);
    v("l_trans_bandwidth_hz", l_trans_bandwidth_hz);
    v("h_trans_bandwidth_hz", h_trans_bandwidth_hz);
    v("notch_width_hz", notch_width_hz);
    v("notch_trans_bandwidth_hz", notch_trans_bandwidth_hz);
    v("fir_window", fir_window);
    v("max_resample_factor", max_resample_factor);
  }
};

/// The options of profile `name` (config::kPreprocessingProfiles, config/preprocessing.h: "epilepsyfm", "labram",
/// "cbramod", "none"). Throws ConfigError listing the known names.
PreprocessOptions resolve_profile(const std::string& name);

/// The profile's options with the config's overrides applied, validated (ConfigError naming "preprocess.<field>").
PreprocessOptions resolve_preprocess(const config::PreprocessConfig& config);

/// What the options compute, as stored with each recording and recorded by experiments (`montage`: the channel
/// montage applied before preprocessing).
config::PreprocessingSpec preprocessing_spec(const PreprocessOptions& options, config::MontageKind montage);

/// Per-channel statistics of the preprocessed output (microvolts), accumulated in double precision: per chunk,
/// sums of (x - K) and (x - K)^2 with K the chunk's first sample (shifted-data algorithm), merged across chunks with
/// Chan et al.'s pairwise formula, so neither a large DC offset nor a long recording loses precision.
struct ChannelStats {
  std::vector<double> mean_uv;
  std::vector<double> std_uv;  ///< population standard deviation (ddof = 0, as numpy's default)
  std::vector<double> max_abs_uv;
  int64_t count = 0;  ///< samples per channel
};

/// Accumulates ChannelStats over chunks [channels, samples].
class StatsAccumulator {
 public:
  explicit StatsAccumulator(int n_channels);
  /// Adds a chunk [channels, samples]; channels are split over `pool` when given.
  void add(const Eigen::Ref<const Eigen::MatrixXf>& chunk, ThreadPool* pool = nullptr);
  ChannelStats stats() const;

 private:
  std::vector<double> mean_, m2_, max_abs_;
  int64_t count_ = 0;
};

class Preprocessor {
 public:
  /// Throws ConfigError for invalid options and ArgumentError for a non-positive rate or channel count. With a
  /// `pool`, the channels are processed in parallel (groups of >= 16 channels, one task per group and chunk); the
  /// output does not depend on the pool.
  Preprocessor(const PreprocessOptions& options, double in_sfreq_hz, int n_channels, ThreadPool* pool = nullptr);
  /// Same with the exact input rate (e.g. edf_sampling_rate(samples_per_record, duration_text)): the resampling
  /// ratio is then exact whenever it reduces to terms <= options.max_resample_factor.
  Preprocessor(const PreprocessOptions& options, const RationalRate& in_rate, int n_channels,
               ThreadPool* pool = nullptr);
  ~Preprocessor();
  Preprocessor(Preprocessor&&) noexcept;
  Preprocessor& operator=(Preprocessor&&) noexcept;

  /// Feeds the next [n_channels, n] input samples (microvolts); returns the output samples that are final so far
  /// ([n_channels, m], m may be 0 at the start because of filter look-ahead). Throws DataError naming the channel
  /// and sample of the first NaN/Inf (in time order); with several channel groups (a pool) the other groups have
  /// then consumed the chunk, so the Preprocessor cannot be used further.
  Eigen::MatrixXf push(const Eigen::Ref<const Eigen::MatrixXf>& chunk);
  /// Flushes the tail (reflection padding at the end); no push() after this.
  Eigen::MatrixXf finish();

  double out_sfreq_hz() const;
  /// Exact number of output samples for `n_in` input samples: ceil(n_in * up / down).
  int64_t output_length(int64_t n_in) const;
  /// Statistics of everything returned so far.
  ChannelStats stats() const;

  /// The resolved pipeline, for provenance (HDF5 attributes, logs), e.g. "band-pass 0.5-70 Hz (MNE firwin hamming,
  /// 1057 taps) + notch 50 Hz (1057 taps) = 2113-tap zero-phase FIR at 160 Hz; resample 160 -> 200 Hz (5/4 exact,
  /// Kaiser 5.0, 101 taps)".
  std::string describe() const;
  int64_t fir_length() const;     ///< combined kernel length (1 = no filter)
  int64_t resample_up() const;    ///< reduced up factor
  int64_t resample_down() const;  ///< reduced down factor
  bool resample_exact() const;    ///< false when the ratio had to be approximated
  /// Look-ahead in input samples: output time t depends on inputs up to t + latency_samples() (FIR half-length plus
  /// the resampler's half-length). The first outputs appear once a full FFT block has arrived.
  int64_t latency_samples() const;

 private:
  void init(const PreprocessOptions& options, double in_sfreq_hz, const ResampleRatio& ratio, int n_channels,
            ThreadPool* pool);
  Eigen::MatrixXf gather(std::vector<Eigen::MatrixXf>& parts) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace efm::signal
