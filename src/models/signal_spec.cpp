#include "epilepsyfm/models/signal_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "epilepsyfm/core/check.h"

namespace efm::models {

std::string shape_str(c10::IntArrayRef sizes) {
  return fmt::format("[{}]", fmt::join(sizes.begin(), sizes.end(), ", "));
}

std::string shape_str(const torch::Tensor& t) {
  return t.defined() ? shape_str(t.sizes()) : std::string("undefined");
}

std::string dtype_str(c10::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kInt16: return "int16";
    case torch::kInt8: return "int8";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return c10::toString(type);
  }
}

void SignalSpec::validate() const {
  EFM_CHECK_ARG(!channel_names.empty(), "SignalSpec: channel_names is empty; a window needs at least one channel");
  std::set<std::string> seen;
  for (size_t i = 0; i < channel_names.size(); ++i) {
    EFM_CHECK_ARG(!channel_names[i].empty(), "SignalSpec: channel_names[{}] is empty", i);
    EFM_CHECK_ARG(seen.insert(channel_names[i]).second, "SignalSpec: channel '{}' appears more than once (row {})",
                  channel_names[i], i);
  }
  EFM_CHECK_ARG(sfreq_hz > 0.0, "SignalSpec: sfreq_hz must be > 0, got {}", sfreq_hz);
  EFM_CHECK_ARG(patch_samples > 0, "SignalSpec: patch_samples must be > 0, got {}", patch_samples);
  EFM_CHECK_ARG(static_cast<double>(patch_samples) == sfreq_hz,
                "SignalSpec: patches must be 1 s long, but sfreq_hz is {} Hz and patch_samples is {}; resample the "
                "signal to {} Hz",
                sfreq_hz, patch_samples, patch_samples);
  EFM_CHECK_ARG(window_samples > 0 && window_samples % patch_samples == 0,
                "SignalSpec: window_samples ({}) must be a positive multiple of patch_samples ({})", window_samples,
                patch_samples);
}

void SignalSpec::check_signal(const torch::Tensor& x, std::string_view what) const {
  EFM_CHECK_DATA(x.defined(), "{} is undefined; expected [batch, {}, {}]", what, n_channels(), window_samples);
  EFM_CHECK_DATA(x.dim() == 3, "{} has shape {} but the spec expects [batch, {} channels, {} samples]", what,
                 shape_str(x), n_channels(), window_samples);
  EFM_CHECK_DATA(x.size(1) == n_channels(), "{} has shape {} but the spec has {} channels", what, shape_str(x),
                 n_channels());
  EFM_CHECK_DATA(x.size(2) == window_samples, "{} has shape {} but the spec has {} samples per window", what,
                 shape_str(x), window_samples);
}

namespace {

// Checks a per-channel tensor ([C] / [B, C] with `trailing` extra dims) against the signal.
void check_per_channel(const torch::Tensor& t, std::string_view name, const torch::Tensor& signal,
                       c10::ScalarType dtype, int64_t trailing) {
  const int64_t b = signal.size(0);
  const int64_t c = signal.size(1);
  const bool shared = t.dim() == 1 + trailing;
  const bool batched = t.dim() == 2 + trailing;
  EFM_CHECK_DATA(shared || batched, "{} has shape {} but signal has shape {}; expected [{}{}] or [{}, {}{}]", name,
                 shape_str(t), shape_str(signal), c, trailing ? ", 3" : "", b, c, trailing ? ", 3" : "");
  const int64_t chan_dim = shared ? 0 : 1;
  EFM_CHECK_DATA(t.size(chan_dim) == c, "{} has shape {} but signal has shape {} ({} channels)", name, shape_str(t),
                 shape_str(signal), c);
  EFM_CHECK_DATA(shared || t.size(0) == b, "{} has shape {} but signal has shape {} (batch {})", name, shape_str(t),
                 shape_str(signal), b);
  EFM_CHECK_DATA(trailing == 0 || t.size(-1) == 3, "{} has shape {}; the last dimension must be 3 (x, y, z)", name,
                 shape_str(t));
  EFM_CHECK_DATA(t.scalar_type() == dtype, "{} has dtype {}; expected {}", name, dtype_str(t.scalar_type()),
                 dtype_str(dtype));
}

}  // namespace

TokenGeometry check_input(const EegInput& input, int64_t patch_samples) {
  const torch::Tensor& x = input.signal;
  EFM_CHECK_DATA(x.defined(), "signal is undefined; expected [batch, channels, samples] float32");
  EFM_CHECK_DATA(x.dim() == 3, "signal has shape {}; expected [batch, channels, samples]", shape_str(x));
  EFM_CHECK_DATA(x.is_floating_point(), "signal has dtype {}; expected float32 (or the model's floating type)",
                 dtype_str(x.scalar_type()));
  EFM_CHECK_DATA(x.size(0) > 0 && x.size(1) > 0, "signal has shape {}; batch and channels must be non-empty",
                 shape_str(x));
  EFM_CHECK_DATA(x.size(2) > 0 && x.size(2) % patch_samples == 0,
                 "signal has shape {}: the samples dimension ({}) must be a positive multiple of patch_samples ({})",
                 shape_str(x), x.size(2), patch_samples);
  EFM_CHECK_DATA(input.channel_ids.defined(), "channel_ids is undefined; expected [{}] or [{}, {}] int64", x.size(1),
                 x.size(0), x.size(1));
  check_per_channel(input.channel_ids, "channel_ids", x, torch::kInt64, 0);
  if (input.region_ids.defined()) check_per_channel(input.region_ids, "region_ids", x, torch::kInt64, 0);
  if (input.coords.defined()) check_per_channel(input.coords, "coords", x, x.scalar_type(), 1);
  return TokenGeometry{x.size(0), x.size(1), x.size(2) / patch_samples};
}

torch::Tensor expand_ids(const torch::Tensor& ids, int64_t batch) {
  return ids.dim() == 1 ? ids.unsqueeze(0).expand({batch, ids.size(0)}) : ids;
}

}  // namespace efm::models
