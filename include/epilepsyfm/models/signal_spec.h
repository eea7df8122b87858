#pragma once
/// Signal geometry and the model input. One `SignalSpec` describes the windows of a dataset (channel names in row
/// order, sampling rate, samples per window); it is validated once when the dataset is opened and checked against
/// the model (Backbone::check_spec). Each batch then travels as an `EegInput`, whose shapes the models check.
///
/// Patching (LaBraM): a window of C channels x T seconds at 200 Hz, x [B, C, T*200], is cut into C*T tokens of one
/// 1-s patch each, ordered channel-major: token n = c*T + t holds channel c, seconds [t, t+1). Every token-level
/// tensor of this layer ([B, N] masks and codes, [B, N, d] features) uses this order; the CLS token, where present,
/// is prepended at position 0.
///
///   SignalSpec spec{{"FP1", "FP2", "C3"}, /*sfreq_hz=*/200.0, /*window_samples=*/800};
///   spec.validate();                 // ArgumentError on bad geometry
///   spec.check_signal(batch.signal);  // DataError "x has shape [2, 19, 800] but the spec has 23 channels"
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace efm::models {

/// Samples per 1-s patch at 200 Hz (LaBraM, EpilepsyFM).
inline constexpr int64_t kPatchSamples = 200;

struct SignalSpec {
  std::vector<std::string> channel_names;  ///< canonical names in row order of x
  double sfreq_hz = 200.0;                 ///< sampling rate of x
  int64_t window_samples = 0;              ///< samples per window (per channel)
  int64_t patch_samples = kPatchSamples;   ///< samples per patch (token)

  /// Throws ArgumentError naming the field: no channels, empty or duplicate channel name, sfreq_hz <= 0, patches
  /// that are not 1 s long (sfreq_hz must equal patch_samples: resample to 200 Hz), window_samples not a positive
  /// multiple of patch_samples.
  void validate() const;

  int64_t n_channels() const { return static_cast<int64_t>(channel_names.size()); }
  /// Patches per channel, T = window_samples / patch_samples.
  int64_t n_patches() const { return window_samples / patch_samples; }
  /// Tokens per window, C*T (without CLS).
  int64_t n_tokens() const { return n_channels() * n_patches(); }

  /// Checks a batch signal x [B, C, window_samples] against the spec. Throws DataError naming `what` and the
  /// shapes, e.g. "x has shape [2, 19, 800] but the spec has 23 channels".
  void check_signal(const torch::Tensor& x, std::string_view what = "x") const;
};

/// One batch of windows as the models take it.
struct EegInput {
  /// [B, C, T*patch_samples] float32, normalised (z-scored or uV/100), channels in the order of the ids below.
  torch::Tensor signal;
  /// [C] (shared by the batch) or [B, C] int64: row of each channel in the global electrode vocabulary
  /// (signal::electrode_index; 0 = UNK for channels outside it). Must be < the model's n_electrodes.
  torch::Tensor channel_ids;
  /// [C] or [B, C] int64: brain region of each channel (signal::RegionTable::region_of), in [0, n_regions) or -1
  /// for "no region" (own learned row). May be left undefined only when the model has no region embedding.
  torch::Tensor region_ids;
  /// Optional [C, 3] or [B, C, 3], the signal's dtype: 3-D electrode coordinates (metres, head frame); required only
  /// when the spatial encoder uses coordinates.
  torch::Tensor coords;
};

/// Token grid of a checked input.
struct TokenGeometry {
  int64_t batch = 0;
  int64_t channels = 0;  ///< C
  int64_t patches = 0;   ///< T, patches per channel
  int64_t tokens() const { return channels * patches; }
};

/// Checks an EegInput's shapes and dtypes (not value ranges) for a model with `patch_samples`-sample patches and
/// returns its token grid. Throws DataError naming the tensor and both shapes: signal not [B, C, S] floating, S not
/// a positive multiple of patch_samples, channel_ids / region_ids / coords whose channel count or batch size
/// differ from the signal ("channel_ids has shape [2, 19] but signal has shape [2, 23, 800] (23 channels)").
TokenGeometry check_input(const EegInput& input, int64_t patch_samples);

/// Broadcasts per-channel ids [C] or [B, C] to [B, C] (a view when possible).
torch::Tensor expand_ids(const torch::Tensor& ids, int64_t batch);

/// "[2, 19, 800]" ("undefined" for an undefined tensor): for error messages.
std::string shape_str(const torch::Tensor& t);
std::string shape_str(c10::IntArrayRef sizes);
/// "float32", "int64", "bool", ... (PyTorch's Python names without "torch.").
std::string dtype_str(c10::ScalarType type);

}  // namespace efm::models
