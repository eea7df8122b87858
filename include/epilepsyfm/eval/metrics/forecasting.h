#pragma once
/// Forecasting metrics and the two reference baselines of the forecasting heads (`forecast_short`,
/// `forecast_long`, `frequency_phase`; docs/heads.md). Plain vectors, no torch.
///
///   ForecastShape future{/*batch=*/8, /*channels=*/19, /*times=*/12 * 200};       // 12 s at 200 Hz
///   ForecastShape past{8, 19, 90 * 200};
///   std::vector<double> naive = persistence_last_value(history, past, future.times);
///   MetricSet model = forecast_metrics(prediction, target, future);
///   MetricSet base = forecast_metrics(naive, target, future);
///
/// Layout: signals are row-major [batch, channels, times] blocks (a torch tensor's `contiguous().data_ptr()`
/// order). Metrics are computed on whatever scale the caller passes (the heads pass the normalised signal).
/// Malformed input (empty, sizes that disagree with the shape, non-finite values) throws ArgumentError; an
/// undefined value (Pearson r of a constant series) is NaN, as everywhere in eval/.
#include <cstdint>
#include <vector>

#include "epilepsyfm/eval/metrics/metric_set.h"

namespace efm::eval {

/// Shape of a row-major [batch, channels, times] block.
struct ForecastShape {
  int64_t batch = 1;
  int64_t channels = 1;
  int64_t times = 0;
  int64_t numel() const { return batch * channels * times; }
};

// ---------------------------------------------------------------------------------------------------------------
// Pooled metrics (over every element)
// ---------------------------------------------------------------------------------------------------------------

/// Mean absolute error, mean |p − t|.
double mae(const std::vector<double>& prediction, const std::vector<double>& target);
/// Mean squared error, mean (p − t)².
double mse(const std::vector<double>& prediction, const std::vector<double>& target);
/// Root mean squared error, √MSE.
double rmse(const std::vector<double>& prediction, const std::vector<double>& target);
/// Pearson correlation coefficient r over all elements; NaN when either side is constant.
double pearson(const std::vector<double>& prediction, const std::vector<double>& target);

// ---------------------------------------------------------------------------------------------------------------
// Per-channel metrics: channel c pools its batch × times values; result has `shape.channels` entries
// ---------------------------------------------------------------------------------------------------------------

std::vector<double> per_channel_mae(const std::vector<double>& prediction, const std::vector<double>& target,
                                    const ForecastShape& shape);
std::vector<double> per_channel_mse(const std::vector<double>& prediction, const std::vector<double>& target,
                                    const ForecastShape& shape);
/// NaN for a channel whose prediction or target is constant.
std::vector<double> per_channel_pearson(const std::vector<double>& prediction, const std::vector<double>& target,
                                        const ForecastShape& shape);

/// Signal-forecast metrics, in this order: mae, mse, rmse, pearson (pooled over all elements),
/// pearson_channel_mean (mean of the per-channel r over the channels where it is defined; NaN if none).
MetricSet forecast_metrics(const std::vector<double>& prediction, const std::vector<double>& target,
                           const ForecastShape& shape);

// ---------------------------------------------------------------------------------------------------------------
// Phase (radians)
// ---------------------------------------------------------------------------------------------------------------

/// `angle_rad` wrapped to (−π, π].
double wrap_phase(double angle_rad);
/// Mean absolute wrapped difference, mean |wrap(p − t)|, radians in [0, π] (0 = perfect, π/2 = chance).
double phase_error_abs(const std::vector<double>& prediction_rad, const std::vector<double>& target_rad);
/// 1 − mean cos(p − t), in [0, 2] (0 = perfect, 1 = chance); smooth, insensitive to wrapping.
double phase_error_cos(const std::vector<double>& prediction_rad, const std::vector<double>& target_rad);

/// `frequency_phase` head metrics: amplitude_mae, phase_error_abs_rad, phase_error_cos. Amplitudes and phases are
/// the same-sized arrays (e.g. [batch, channels, patches × frequencies]).
MetricSet spectral_metrics(const std::vector<double>& prediction_amplitude, const std::vector<double>& target_amplitude,
                           const std::vector<double>& prediction_phase_rad,
                           const std::vector<double>& target_phase_rad);

// ---------------------------------------------------------------------------------------------------------------
// Baselines: from a history [batch, channels, history_times] to a forecast [batch, channels, horizon]
// ---------------------------------------------------------------------------------------------------------------

/// Persistence, last value: every future sample of a channel equals its last observed sample.
std::vector<double> persistence_last_value(const std::vector<double>& history, const ForecastShape& history_shape,
                                           int64_t horizon);
/// Persistence, last patch: the last `patch_samples` observed samples of each channel repeated periodically,
/// forecast[t] = history[T − P + (t mod P)]. For EEG, P = one 1-s patch keeps the recent rhythm, which the
/// last-value baseline flattens. Needs 1 <= patch_samples <= history_times.
std::vector<double> persistence_last_patch(const std::vector<double>& history, const ForecastShape& history_shape,
                                           int64_t horizon, int64_t patch_samples);
/// Mean: every future sample of a channel equals the mean of its history.
std::vector<double> mean_baseline(const std::vector<double>& history, const ForecastShape& history_shape,
                                  int64_t horizon);
/// Patch mean (for per-patch features such as amplitude or phase spectra laid out as consecutive patches of
/// `patch_samples` values): the element-wise mean over the history's patches, repeated over the horizon.
/// history_times and horizon must be multiples of patch_samples. `circular` = true averages angles as
/// atan2(mean sin, mean cos) (for phases; the mean of −3.1 and 3.1 rad is π, not 0).
std::vector<double> mean_patch_baseline(const std::vector<double>& history, const ForecastShape& history_shape,
                                        int64_t horizon, int64_t patch_samples, bool circular = false);

}  // namespace efm::eval
