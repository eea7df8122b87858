#pragma once
/// Normalisation of preprocessed windows (applied when windows are read; the store keeps microvolts) and the
/// CBraMod amplitude rejection rule.
///
///   normalize_in_place(window, options, recording_stats);     // window: [channels, samples], uV -> model units
#include <Eigen/Core>

#include "epilepsyfm/signal/preprocess.h"

namespace efm::signal {

/// Standard deviations below this (uV) are treated as this value by z-scoring: a flat (disconnected) channel
/// becomes ~0 instead of exploding.
inline constexpr double kMinStdUv = 1e-3;

/// In place, per options.normalization:
///  - "zscore": x[c] = (x[c] - stats.mean_uv[c]) / max(stats.std_uv[c], kMinStdUv)  (per channel, recording stats)
///  - "scale":  x = x * options.scale (LaBraM/CBraMod: uV / 100)
///  - "none":   unchanged.
/// Throws ArgumentError when stats does not have one entry per row of x (for zscore) or the mode is unknown.
void normalize_in_place(Eigen::Ref<Eigen::MatrixXf> x, const PreprocessOptions& options, const ChannelStats& stats);

/// CBraMod's bad-sample rule on a window in microvolts: true when options.reject_abs_uv is set and any
/// |x| >= it.
bool exceeds_rejection(const Eigen::Ref<const Eigen::MatrixXf>& x_uv, const PreprocessOptions& options);

}  // namespace efm::signal
