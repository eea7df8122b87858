#pragma once
/// Preprocessing, described once for every place that holds it:
///  - `PreprocessConfig`, the `preprocess:` section of an ingest config: a profile plus optional overrides;
///  - `kPreprocessingProfiles`, the profiles themselves (one row each; their names are the allowed profiles);
///  - `PreprocessingSpec`, what a recording's samples were computed with: written with every recording of a store
///    (HDF5 attributes, io/store.h) and recorded in every experiment config (`data.preprocessing`);
///  - `check_preprocessing`, the one policy for a model meeting data preprocessed otherwise: refuse, or warn when
///    the config allows it.
/// signal::PreprocessOptions (signal/preprocess.h) is the resolved form the DSP runs with (filter-design details
/// included); signal::preprocessing_spec() gives its PreprocessingSpec.
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/core/enum_names.h"

namespace efm::config {

/// How samples are scaled when windows are read: per-channel z-score with the recording's statistics, a fixed
/// factor (`scale`), or not at all.
enum class Normalization { zscore, scale, none };
inline constexpr EnumNames<Normalization, 3> kNormalizationNames{
    {{Normalization::zscore, "zscore"}, {Normalization::scale, "scale"}, {Normalization::none, "none"}}};
constexpr const auto& enum_names(Normalization) {
  return kNormalizationNames;
}

/// The window of the FIR filter designs (MNE's fir_window).
enum class FirWindow { hamming, hann, blackman };
inline constexpr EnumNames<FirWindow, 3> kFirWindowNames{
    {{FirWindow::hamming, "hamming"}, {FirWindow::hann, "hann"}, {FirWindow::blackman, "blackman"}}};
constexpr const auto& enum_names(FirWindow) {
  return kFirWindowNames;
}

/// The reference the stored channels are in: as recorded, the average of the electrodes, bipolar pairs, or the TUH
/// TCP bipolar montages (signal/montage.h builds them).
enum class MontageKind { referential, average, bipolar, tcp16, tcp18, tcp22 };
/// The names of the kinds (the ingest config's channels.montage takes all but bipolar).
inline constexpr EnumNames<MontageKind, 6> kMontageKindNames{{{MontageKind::referential, "referential"},
                                                              {MontageKind::average, "average"},
                                                              {MontageKind::bipolar, "bipolar"},
                                                              {MontageKind::tcp16, "tcp16"},
                                                              {MontageKind::tcp18, "tcp18"},
                                                              {MontageKind::tcp22, "tcp22"}}};
constexpr const auto& enum_names(MontageKind) {
  return kMontageKindNames;
}

/// A preprocessing profile (docs/architecture.md, "Preprocessing profiles"). Adding a profile is adding a row of
/// kPreprocessingProfiles; its name becomes a valid `preprocess.profile`.
struct PreprocessingProfile {
  const char* name;
  double l_freq_hz, h_freq_hz;  ///< band-pass edges; 0 = that side off
  double notch_hz;              ///< 0 = no notch
  bool notch_harmonics;
  Normalization normalization;
  double scale;
  double reject_abs_uv;  ///< 0 = no amplitude rejection
};

inline constexpr PreprocessingProfile kPreprocessingProfiles[] = {
    // The paper's settings: 0.5-70 Hz, 50 Hz notch (with harmonics), 200 Hz, per-channel z-score.
    {"epilepsyfm", 0.5, 70.0, 50.0, true, Normalization::zscore, 1.0, 0.0},
    // LaBraM dataset_maker: filter(0.1, 75), notch_filter(50.0) (no harmonics), resample(200), x / 100 at train time.
    {"labram", 0.1, 75.0, 50.0, false, Normalization::scale, 0.01, 0.0},
    // CBraMod TUEG preprocessing: 0.3-75 Hz, notch_filter(60), 200 Hz, x / 100, drop samples with |x| >= 100 uV.
    {"cbramod", 0.3, 75.0, 60.0, false, Normalization::scale, 0.01, 100.0},
    // Resampling to 200 Hz only.
    {"none", 0.0, 0.0, 0.0, true, Normalization::none, 1.0, 0.0},
};

/// The profile names, in table order.
const std::vector<std::string>& preprocessing_profile_names();
/// The row named `name`; ConfigError naming `path` and listing the known names otherwise.
const PreprocessingProfile& preprocessing_profile(const std::string& name,
                                                  const std::string& path = "preprocess.profile");

/// The `preprocess:` section: a profile plus overrides. A null field takes the profile's value;
/// `epilepsyfm ingest --dump-config` prints the resolved values.
///   preprocess: {profile: epilepsyfm, notch_hz: [60]}      # US data
struct PreprocessConfig {
  std::string profile = "epilepsyfm";
  std::optional<double> l_freq_hz;              ///< band-pass low edge (Hz); 0 = no high-pass
  std::optional<double> h_freq_hz;              ///< band-pass high edge (Hz); 0 = no low-pass
  std::optional<std::vector<double>> notch_hz;  ///< line frequencies (Hz); [] = no notch
  std::optional<bool> notch_harmonics;          ///< also notch 2f, 3f, ... below Nyquist
  std::optional<double> sfreq_hz;               ///< output rate (Hz)
  std::optional<Normalization> normalization;   ///< zscore | scale | none (applied when windows are read)
  std::optional<double> scale;                  ///< for `scale`: multiply microvolts by this
  std::optional<double> reject_abs_uv;          ///< mark windows with any |x| >= this (uV); 0 = never
  // Filter design details (null = MNE's defaults; signal/preprocess.h).
  std::optional<double> l_trans_bandwidth_hz;
  std::optional<double> h_trans_bandwidth_hz;
  std::optional<double> notch_width_hz;
  std::optional<double> notch_trans_bandwidth_hz;
  std::optional<FirWindow> fir_window;  ///< hamming | hann | blackman

  template <class V>
  void visit(V& v) {
    v("profile", profile, Choices(preprocessing_profile_names()));
    v("l_freq_hz", l_freq_hz, non_negative());
    v("h_freq_hz", h_freq_hz, non_negative());
    v("notch_hz", notch_hz, positive());
    v("notch_harmonics", notch_harmonics);
    v("sfreq_hz", sfreq_hz, positive());
    v("normalization", normalization);
    v("scale", scale, positive());
    v("reject_abs_uv", reject_abs_uv, non_negative());
    v("l_trans_bandwidth_hz", l_trans_bandwidth_hz, positive());
    v("h_trans_bandwidth_hz", h_trans_bandwidth_hz, positive());
    v("notch_width_hz", notch_width_hz, non_negative());
    v("notch_trans_bandwidth_hz", notch_trans_bandwidth_hz, positive());
    v("fir_window", fir_window);
  }
};

/// What a recording's samples were computed with: the settings that change the signal a model sees (the amplitude
/// rejection and the ingest window table do not, and are kept beside it in io::StoredPreprocessing).
struct PreprocessingSpec {
  std::string profile;   ///< the profile the values were resolved from (the values are what counts)
  double l_freq_hz = 0;  ///< band-pass low edge (0 = none)
  double h_freq_hz = 0;  ///< band-pass high edge (0 = none)
  std::vector<double> notch_hz;
  bool notch_harmonics = false;
  double sfreq_hz = 200;
  Normalization normalization = Normalization::zscore;
  double scale = 1;  ///< factor of `scale` normalisation
  MontageKind montage = MontageKind::referential;

  template <class V>
  void visit(V& v) {
    v("profile", profile);
    v("l_freq_hz", l_freq_hz, non_negative());
    v("h_freq_hz", h_freq_hz, non_negative());
    v("notch_hz", notch_hz, non_negative());
    v("notch_harmonics", notch_harmonics);
    v("sfreq_hz", sfreq_hz, positive());
    v("normalization", normalization);
    v("scale", scale);
    v("montage", montage);
  }

  /// One line per differing setting, "band-pass 0.5-70 Hz vs 0.1-75 Hz" (this, then `other`); empty when equal.
  /// The profile name alone is not a difference (only the parameters it resolves to are compared).
  std::vector<std::string> differences(const PreprocessingSpec& other) const;
  /// "epilepsyfm: band-pass 0.5-70 Hz, notch 50 Hz (+ harmonics), 200 Hz, zscore, referential"
  std::string describe() const;
};

/// A model (or the config that trained it) meeting data: who learnt from what, and how a difference is handled.
struct PreprocessingCheck {
  std::string learnt;     ///< "the tokenizer runs/tok was trained on"
  std::string data;       ///< "the store stores/x holds"
  std::string allow_key;  ///< accepts a difference: a config key "data.allow_..." (for --set) or a "--flag"
  bool allowed = false;   ///< its value
  std::string remedy;     ///< what to do instead: "re-ingest the store with the tokenizer's preprocessing"
  std::string log_tag;    ///< "[pretrain]"
  std::string origin;     ///< the model, for the warning when it records nothing: "the tokenizer runs/tok"
};

/// Equal specs pass. Otherwise "<learnt> <A> but <data> <B> (<differences>)" is a ConfigError that adds the remedy
/// and the allow_key, or, when `check.allowed`, a warning.
void check_preprocessing(const PreprocessingSpec& learnt, const PreprocessingSpec& data,
                         const PreprocessingCheck& check);
/// A model that records no preprocessing (`learnt` empty) cannot be checked: a warning says so.
void check_preprocessing(const std::optional<PreprocessingSpec>& learnt, const PreprocessingSpec& data,
                         const PreprocessingCheck& check);

}  // namespace efm::config
