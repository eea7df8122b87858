#include "epilepsyfm/eval/metrics/forecasting.h"

#include <cmath>
#include <limits>

#include "epilepsyfm/core/check.h"

namespace efm::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

void check_finite(const char* what, const char* name, const std::vector<double>& v) {
  for (size_t i = 0; i < v.size(); ++i) {
    EFM_CHECK_ARG(std::isfinite(v[i]), "{}: {}[{}] is {}; values must be finite", what, name, i, v[i]);
  }
}

void check_pair(const char* what, const std::vector<double>& prediction, const std::vector<double>& target) {
  EFM_CHECK_ARG(!target.empty(), "{}: target is empty", what);
  EFM_CHECK_ARG(prediction.size() == target.size(), "{}: prediction has {} values but target has {}", what,
                prediction.size(), target.size());
  check_finite(what, "prediction", prediction);
  check_finite(what, "target", target);
}

void check_shape(const char* what, const char* name, const std::vector<double>& v, const ForecastShape& s) {
  EFM_CHECK_ARG(s.batch > 0 && s.channels > 0 && s.times > 0,
                "{}: shape [batch={}, channels={}, times={}] must have all dimensions > 0", what, s.batch, s.channels,
                s.times);
  EFM_CHECK_ARG(static_cast<int64_t>(v.size()) == s.numel(),
                "{}: {} has {} values but the shape [batch={}, channels={}, times={}] needs {}", what, name, v.size(),
                s.batch, s.channels, s.times, s.numel());
}

/// Calls f(channel, flat index) for every element, channel by channel.
template <class F>
void for_each_in_channel(const ForecastShape& s, int64_t c, F&& f) {
  for (int64_t b = 0; b < s.batch; ++b) {
    const int64_t base = (b * s.channels + c) * s.times;
    for (int64_t t = 0; t < s.times; ++t) f(static_cast<size_t>(base + t));
  }
}

/// Pearson r of the elements selected by `indices` (a callable visiting indices); two-pass for accuracy.
template <class Visit>
double pearson_over(const std::vector<double>& x, const std::vector<double>& y, Visit&& visit) {
  double sx = 0, sy = 0;
  int64_t n = 0;
  visit([&](size_t i) {
    sx += x[i];
    sy += y[i];
    ++n;
  });
  const double mx = sx / static_cast<double>(n), my = sy / static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  visit([&](size_t i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  });
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

/// Mean of `error(prediction[i] - target[i])` over the indices that `visit` passes to its callable.
template <class Visit, class Error>
double mean_error(const std::vector<double>& prediction, const std::vector<double>& target, Visit&& visit,
                  Error&& error) {
  double sum = 0;
  int64_t n = 0;
  visit([&](size_t i) {
    sum += error(prediction[i] - target[i]);
    ++n;
  });
  return sum / static_cast<double>(n);
}

/// Visits every index of `v`.
auto every_index(const std::vector<double>& v) {
  return [n = v.size()](auto&& f) {
    for (size_t i = 0; i < n; ++i) f(i);
  };
}

/// One value per channel of `shape`: `stat(visit)` with `visit` passing the channel's indices; checks the pair and
/// the shape first, naming `what`.
template <class Stat>
std::vector<double> per_channel(const char* what, const std::vector<double>& prediction,
                                const std::vector<double>& target, const ForecastShape& shape, Stat&& stat) {
  check_pair(what, prediction, target);
  check_shape(what, "target", target, shape);
  std::vector<double> out;
  for (int64_t c = 0; c < shape.channels; ++c) {
    out.push_back(stat([&](auto&& f) { for_each_in_channel(shape, c, f); }));
  }
  return out;
}

double abs_error(double d) {
  return std::abs(d);
}
double squared_error(double d) {
  return d * d;
}

void check_history(const char* what, const std::vector<double>& history, const ForecastShape& s, int64_t horizon) {
  check_shape(what, "history", history, s);
  check_finite(what, "history", history);
  EFM_CHECK_ARG(horizon > 0, "{}: horizon ({}) must be > 0", what, horizon);
}

}  // namespace

double mae(const std::vector<double>& prediction, const std::vector<double>& target) {
  check_pair("mae", prediction, target);
  return mean_error(prediction, target, every_index(target), abs_error);
}

double mse(const std::vector<double>& prediction, const std::vector<double>& target) {
  check_pair("mse", prediction, target);
  return mean_error(prediction, target, every_index(target), squared_error);
}

double rmse(const std::vector<double>& prediction, const std::vector<double>& target) {
  return std::sqrt(mse(prediction, target));
}

double pearson(const std::vector<double>& prediction, const std::vector<double>& target) {
  check_pair("pearson", prediction, target);
  return pearson_over(prediction, target, every_index(target));
}

std::vector<double> per_channel_mae(const std::vector<double>& prediction, const std::vector<double>& target,
                                    const ForecastShape& shape) {
  return per_channel("per_channel_mae", prediction, target, shape,
                     [&](auto&& visit) { return mean_error(prediction, target, visit, abs_error); });
}

std::vector<double> per_channel_mse(const std::vector<double>& prediction, const std::vector<double>& target,
                                    const ForecastShape& shape) {
  return per_channel("per_channel_mse", prediction, target, shape,
                     [&](auto&& visit) { return mean_error(prediction, target, visit, squared_error); });
}

std::vector<double> per_channel_pearson(const std::vector<double>& prediction, const std::vector<double>& target,
                                        const ForecastShape& shape) {
  return per_channel("per_channel_pearson", prediction, target, shape,
                     [&](auto&& visit) { return pearson_over(prediction, target, visit); });
}

MetricSet forecast_metrics(const std::vector<double>& prediction, const std::vector<double>& target,
                           const ForecastShape& shape) {
  check_pair("forecast_metrics", prediction, target);
  check_shape("forecast_metrics", "target", target, shape);
  MetricSet m;
  m.set("mae", mae(prediction, target));
  const double squared = mse(prediction, target);
  m.set("mse", squared);
  m.set("rmse", std::sqrt(squared));
  m.set("pearson", pearson(prediction, target));
  double sum = 0;
  int64_t n = 0;
  for (double r : per_channel_pearson(prediction, target, shape)) {
    if (std::isnan(r)) continue;
    sum += r;
    ++n;
  }
  m.set("pearson_channel_mean", n > 0 ? sum / static_cast<double>(n) : kNaN);
  return m;
}

double wrap_phase(double angle_rad) {
  // remainder() maps to [−π, π]; fold −π onto π so the range is (−π, π].
  const double w = std::remainder(angle_rad, 2 * kPi);
  return w <= -kPi ? w + 2 * kPi : w;
}

double phase_error_abs(const std::vector<double>& prediction_rad, const std::vector<double>& target_rad) {
  check_pair("phase_error_abs", prediction_rad, target_rad);
  return mean_error(prediction_rad, target_rad, every_index(target_rad),
                    [](double d) { return std::abs(wrap_phase(d)); });
}

double phase_error_cos(const std::vector<double>& prediction_rad, const std::vector<double>& target_rad) {
  check_pair("phase_error_cos", prediction_rad, target_rad);
  return 1.0 - mean_error(prediction_rad, target_rad, every_index(target_rad), [](double d) { return std::cos(d); });
}

MetricSet spectral_metrics(const std::vector<double>& prediction_amplitude, const std::vector<double>& target_amplitude,
                           const std::vector<double>& prediction_phase_rad,
                           const std::vector<double>& target_phase_rad) {
  EFM_CHECK_ARG(target_amplitude.size() == target_phase_rad.size(),
                "spectral_metrics: {} amplitudes but {} phases; they must describe the same coefficients",
                target_amplitude.size(), target_phase_rad.size());
  MetricSet m;
  m.set("amplitude_mae", mae(prediction_amplitude, target_amplitude));
  m.set("phase_error_abs_rad", phase_error_abs(prediction_phase_rad, target_phase_rad));
  m.set("phase_error_cos", phase_error_cos(prediction_phase_rad, target_phase_rad));
  return m;
}

std::vector<double> persistence_last_value(const std::vector<double>& history, const ForecastShape& s,
                                           int64_t horizon) {
  check_history("persistence_last_value", history, s, horizon);
  std::vector<double> out(static_cast<size_t>(s.batch * s.channels * horizon));
  for (int64_t bc = 0; bc < s.batch * s.channels; ++bc) {
    const double last = history[static_cast<size_t>(bc * s.times + s.times - 1)];
    for (int64_t t = 0; t < horizon; ++t) out[static_cast<size_t>(bc * horizon + t)] = last;
  }
  return out;
}

std::vector<double> persistence_last_patch(const std::vector<double>& history, const ForecastShape& s, int64_t horizon,
                                           int64_t patch_samples) {
  check_history("persistence_last_patch", history, s, horizon);
  EFM_CHECK_ARG(patch_samples >= 1 && patch_samples <= s.times,
                "persistence_last_patch: patch_samples ({}) must be in [1, history times = {}]", patch_samples,
                s.times);
  std::vector<double> out(static_cast<size_t>(s.batch * s.channels * horizon));
  for (int64_t bc = 0; bc < s.batch * s.channels; ++bc) {
    const int64_t first = bc * s.times + s.times - patch_samples;
    for (int64_t t = 0; t < horizon; ++t) {
      out[static_cast<size_t>(bc * horizon + t)] = history[static_cast<size_t>(first + t % patch_samples)];
    }
  }
  return out;
}

std::vector<double> mean_baseline(const std::vector<double>& history, const ForecastShape& s, int64_t horizon) {
  check_history("mean_baseline", history, s, horizon);
  std::vector<double> out(static_cast<size_t>(s.batch * s.channels * horizon));
  for (int64_t bc = 0; bc < s.batch * s.channels; ++bc) {
    double sum = 0;
    for (int64_t t = 0; t < s.times; ++t) sum += history[static_cast<size_t>(bc * s.times + t)];
    const double mean = sum / static_cast<double>(s.times);
    for (int64_t t = 0; t < horizon; ++t) out[static_cast<size_t>(bc * horizon + t)] = mean;
  }
  return out;
}

std::vector<double> mean_patch_baseline(const std::vector<double>& history, const ForecastShape& s, int64_t horizon,
                                        int64_t patch_samples, bool circular) {
  check_history("mean_patch_baseline", history, s, horizon);
  EFM_CHECK_ARG(patch_samples >= 1 && s.times % patch_samples == 0 && horizon % patch_samples == 0,
                "mean_patch_baseline: patch_samples ({}) must be >= 1 and divide both the history times ({}) and the "
                "horizon ({})",
                patch_samples, s.times, horizon);
  const int64_t n_patches = s.times / patch_samples;
  std::vector<double> out(static_cast<size_t>(s.batch * s.channels * horizon));
  std::vector<double> patch(static_cast<size_t>(patch_samples));
  for (int64_t bc = 0; bc < s.batch * s.channels; ++bc) {
    for (int64_t k = 0; k < patch_samples; ++k) {
      double a = 0, b = 0;  // sum (linear) or sums of sin and cos (circular)
      for (int64_t p = 0; p < n_patches; ++p) {
        const double v = history[static_cast<size_t>(bc * s.times + p * patch_samples + k)];
        if (circular) {
          a += std::sin(v);
          b += std::cos(v);
        } else {
          a += v;
        }
      }
      patch[static_cast<size_t>(k)] = circular ? std::atan2(a, b) : a / static_cast<double>(n_patches);
    }
    for (int64_t t = 0; t < horizon; ++t) {
      out[static_cast<size_t>(bc * horizon + t)] = patch[static_cast<size_t>(t % patch_samples)];
    }
  }
  return out;
}

}  // namespace efm::eval
