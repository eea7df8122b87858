#include "epilepsyfm/signal/preprocess.h"

#include <algorithm>
#include <cmath>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/signal/filter_design.h"
#include "epilepsyfm/signal/fir.h"
#include "epilepsyfm/signal/rate.h"
#include "epilepsyfm/signal/resample.h"

namespace efm::signal {

// ---- profiles -------------------------------------------------------------------------------------------------

const std::vector<std::string>& profile_names() {
  static const std::vector<std::string> names{"epilepsyfm", "labram", "cbramod", "none"};
  return names;
}

PreprocessOptions resolve_profile(const std::string& name) {
  PreprocessOptions o;
  o.profile = name;
  if (name == "epilepsyfm") {
    // ARCHITECTURE.md §4 / paper: 0.5-70 Hz, 50 Hz notch, 200 Hz, per-channel z-score.
    return o;
  }
  if (name == "labram") {
    // LaBraM dataset_maker: filter(0.1, 75), notch_filter(50.0) (no harmonics), resample(200), x / 100 at train time.
    o.l_freq_hz = 0.1;
    o.h_freq_hz = 75.0;
    o.notch_hz = {50.0};
    o.notch_harmonics = false;
    o.normalization = "scale";
    o.scale = 0.01;
    return o;
  }
  if (name == "cbramod") {
    // CBraMod TUEG preprocessing: 0.3-75 Hz, notch_filter(60), 200 Hz, x / 100, drop samples with |x| >= 100 uV.
    o.l_freq_hz = 0.3;
    o.h_freq_hz = 75.0;
    o.notch_hz = {60.0};
    o.notch_harmonics = false;
    o.normalization = "scale";
    o.scale = 0.01;
    o.reject_abs_uv = 100.0;
    return o;
  }
  if (name == "none") {
    o.l_freq_hz = 0.0;
    o.h_freq_hz = 0.0;
    o.notch_hz.clear();
    o.normalization = "none";
    return o;
  }
  config::Choices choices(profile_names());
  throw ConfigError(config::choice_error("preprocess.profile", choices, name));
}

void PreprocessOptions::validate() const {
  EFM_CHECK_CONFIG(std::isfinite(sfreq_hz) && sfreq_hz > 0, "preprocess.sfreq_hz: must be > 0, got {}", sfreq_hz);
  EFM_CHECK_CONFIG(std::isfinite(l_freq_hz), "preprocess.l_freq_hz: must be finite, got {}", l_freq_hz);
  EFM_CHECK_CONFIG(std::isfinite(h_freq_hz), "preprocess.h_freq_hz: must be finite, got {}", h_freq_hz);
  if (l_freq_hz > 0 && h_freq_hz > 0) {
    EFM_CHECK_CONFIG(l_freq_hz < h_freq_hz, "preprocess.l_freq_hz ({}) must be below preprocess.h_freq_hz ({})",
                     l_freq_hz, h_freq_hz);
  }
  for (double f : notch_hz) {
    EFM_CHECK_CONFIG(std::isfinite(f) && f > 0, "preprocess.notch_hz: frequencies must be > 0, got {}", f);
  }
  EFM_CHECK_CONFIG(normalization == "zscore" || normalization == "scale" || normalization == "none",
                   "preprocess.normalization: allowed values are 'zscore', 'scale', 'none', but got '{}'",
                   normalization);
  EFM_CHECK_CONFIG(std::isfinite(scale) && scale > 0, "preprocess.scale: must be > 0, got {}", scale);
  if (reject_abs_uv) {
    EFM_CHECK_CONFIG(*reject_abs_uv > 0, "preprocess.reject_abs_uv: must be > 0, got {}", *reject_abs_uv);
  }
  if (l_trans_bandwidth_hz) {
    EFM_CHECK_CONFIG(*l_trans_bandwidth_hz > 0, "preprocess.l_trans_bandwidth_hz: must be > 0, got {}",
                     *l_trans_bandwidth_hz);
  }
  if (h_trans_bandwidth_hz) {
    EFM_CHECK_CONFIG(*h_trans_bandwidth_hz > 0, "preprocess.h_trans_bandwidth_hz: must be > 0, got {}",
                     *h_trans_bandwidth_hz);
  }
  if (notch_width_hz) {
    EFM_CHECK_CONFIG(*notch_width_hz >= 0, "preprocess.notch_width_hz: must be >= 0, got {}", *notch_width_hz);
  }
  EFM_CHECK_CONFIG(notch_trans_bandwidth_hz > 0, "preprocess.notch_trans_bandwidth_hz: must be > 0, got {}",
                   notch_trans_bandwidth_hz);
  EFM_CHECK_CONFIG(fir_window == "hamming" || fir_window == "hann" || fir_window == "blackman",
                   "preprocess.fir_window: allowed values are 'hamming', 'hann', 'blackman', but got '{}'", fir_window);
  EFM_CHECK_CONFIG(max_resample_factor >= 1, "preprocess.max_resample_factor: must be >= 1, got {}",
                   max_resample_factor);
}

PreprocessOptions resolve_preprocess(const PreprocessConfig& c) {
  PreprocessOptions o = resolve_profile(c.profile);
  if (c.l_freq_hz) o.l_freq_hz = *c.l_freq_hz;
  if (c.h_freq_hz) o.h_freq_hz = *c.h_freq_hz;
  if (c.notch_hz) o.notch_hz = *c.notch_hz;
  if (c.notch_harmonics) o.notch_harmonics = *c.notch_harmonics;
  if (c.sfreq_hz) o.sfreq_hz = *c.sfreq_hz;
  if (c.normalization) o.normalization = *c.normalization;
  if (c.scale) o.scale = *c.scale;
  if (c.reject_abs_uv) {
    o.reject_abs_uv = *c.reject_abs_uv > 0 ? std::optional<double>(*c.reject_abs_uv) : std::nullopt;
  }
  if (c.l_trans_bandwidth_hz) o.l_trans_bandwidth_hz = *c.l_trans_bandwidth_hz;
  if (c.h_trans_bandwidth_hz) o.h_trans_bandwidth_hz = *c.h_trans_bandwidth_hz;
  if (c.notch_width_hz) o.notch_width_hz = *c.notch_width_hz;
  if (c.notch_trans_bandwidth_hz) o.notch_trans_bandwidth_hz = *c.notch_trans_bandwidth_hz;
  if (c.fir_window) o.fir_window = *c.fir_window;
  o.validate();
  return o;
}

// ---- statistics -----------------------------------------------------------------------------------------------

StatsAccumulator::StatsAccumulator(int n_channels)
    : mean_(static_cast<size_t>(n_channels), 0.0),
      m2_(static_cast<size_t>(n_channels), 0.0),
      max_abs_(static_cast<size_t>(n_channels), 0.0) {}

void StatsAccumulator::add(const Eigen::Ref<const Eigen::MatrixXf>& chunk, ThreadPool* pool) {
  const Eigen::Index nc = chunk.rows(), nt = chunk.cols();
  EFM_CHECK_ARG(static_cast<size_t>(nc) == mean_.size(), "StatsAccumulator: chunk has {} channels, expected {}", nc,
                mean_.size());
  if (nt == 0) return;
  // Per chunk and channel: sums of d = x - K and d^2 in double with the shift K = the chunk's first sample (the
  // shifted-data algorithm: no cancellation as long as K is within a few standard deviations of the mean, which
  // holds within a chunk of EEG), then Chan et al.'s pairwise merge into the running mean and M2.
  const size_t c_count = static_cast<size_t>(nc);
  const float* data = chunk.data();
  const size_t stride = static_cast<size_t>(chunk.outerStride());
  std::vector<double> sum(c_count, 0.0), sum2(c_count, 0.0);
  std::vector<float> max_abs(c_count, 0.0f);
  auto accumulate = [&](size_t c_begin, size_t c_end) {
    const float* shift = data;
    for (Eigen::Index t = 0; t < nt; ++t) {
      const float* col = data + static_cast<size_t>(t) * stride;
      for (size_t c = c_begin; c < c_end; ++c) {
        const double d = static_cast<double>(col[c]) - static_cast<double>(shift[c]);
        sum[c] += d;
        sum2[c] += d * d;
        max_abs[c] = std::max(max_abs[c], std::abs(col[c]));
      }
    }
  };
  if (pool != nullptr && c_count >= 16 && nt >= 256) {
    const int64_t parts = std::min<int64_t>(pool->size() + 1, static_cast<int64_t>(c_count / 8));
    pool->parallel_for(parts, [&](int64_t i) {
      accumulate(c_count * static_cast<size_t>(i) / static_cast<size_t>(parts),
                 c_count * static_cast<size_t>(i + 1) / static_cast<size_t>(parts));
    });
  } else {
    accumulate(0, c_count);
  }
  const double na = static_cast<double>(count_), nb = static_cast<double>(nt), n = na + nb;
  for (size_t i = 0; i < c_count; ++i) {
    const double mean_d = sum[i] / nb;
    const double mean_b = static_cast<double>(data[i]) + mean_d;
    const double m2_b = std::max(0.0, sum2[i] - sum[i] * mean_d);
    const double delta = mean_b - mean_[i];
    mean_[i] += delta * nb / n;
    m2_[i] += m2_b + delta * delta * na * nb / n;
    max_abs_[i] = std::max(max_abs_[i], static_cast<double>(max_abs[i]));
  }
  count_ += nt;
}

ChannelStats StatsAccumulator::stats() const {
  ChannelStats s;
  s.count = count_;
  s.mean_uv = mean_;
  s.max_abs_uv = max_abs_;
  s.std_uv.resize(m2_.size());
  for (size_t i = 0; i < m2_.size(); ++i) s.std_uv[i] = count_ > 0 ? std::sqrt(m2_[i] / count_) : 0.0;
  return s;
}

// ---- preprocessor ---------------------------------------------------------------------------------------------

struct Preprocessor::Impl {
  PreprocessOptions options;
  double in_sfreq = 0;
  int channels = 0;
  std::unique_ptr<ZeroPhaseFir> fir;
  std::unique_ptr<PolyphaseResampler> resampler;
  ResampleRatio ratio;
  int64_t fir_length = 1;
  std::string description;
  StatsAccumulator stats;
  ThreadPool* pool = nullptr;
  int64_t n_in = 0;
  bool finished = false;

  explicit Impl(int c) : stats(c) {}
};

Preprocessor::Preprocessor(const PreprocessOptions& options, double in_sfreq_hz, int n_channels, ThreadPool* pool)
    : impl_(std::make_unique<Impl>(std::max(n_channels, 1))) {
  options.validate();
  EFM_CHECK_ARG(std::isfinite(in_sfreq_hz) && in_sfreq_hz > 0, "Preprocessor: input rate must be > 0, got {} Hz",
                in_sfreq_hz);
  EFM_CHECK_ARG(n_channels >= 1, "Preprocessor: n_channels must be >= 1, got {}", n_channels);
  Impl& m = *impl_;
  m.options = options;
  m.in_sfreq = in_sfreq_hz;
  m.channels = n_channels;
  m.pool = pool;
  const double nyq = in_sfreq_hz / 2.0;
  std::vector<std::string> parts, notes;

  // Band-pass (MNE filter_data kernel); edges at or above the input Nyquist frequency are dropped.
  std::optional<double> l_freq, h_freq;
  if (options.l_freq_hz > 0) {
    EFM_CHECK_CONFIG(options.l_freq_hz < nyq,
                     "preprocess.l_freq_hz ({} Hz) must be below the Nyquist frequency of the {} Hz input",
                     options.l_freq_hz, in_sfreq_hz);
    l_freq = options.l_freq_hz;
  }
  if (options.h_freq_hz > 0) {
    if (options.h_freq_hz < nyq) {
      h_freq = options.h_freq_hz;
    } else {
      notes.push_back(fmt::format("low-pass {} Hz dropped (input Nyquist {} Hz)", options.h_freq_hz, nyq));
    }
  }
  std::vector<double> kernel{1.0};
  if (l_freq || h_freq) {
    FirFilterOptions fo;
    fo.l_trans_bandwidth_hz = options.l_trans_bandwidth_hz;
    fo.h_trans_bandwidth_hz = options.h_trans_bandwidth_hz;
    fo.window = options.fir_window;
    kernel = design_fir_filter(in_sfreq_hz, l_freq, h_freq, fo);
    const std::string band = l_freq && h_freq ? fmt::format("band-pass {}-{} Hz", *l_freq, *h_freq)
                             : l_freq         ? fmt::format("high-pass {} Hz", *l_freq)
                                              : fmt::format("low-pass {} Hz", *h_freq);
    parts.push_back(fmt::format("{} (MNE firwin {}, {} taps)", band, options.fir_window, kernel.size()));
  }
  // Notch (MNE notch_filter kernel), all line frequencies and harmonics in one kernel.
  if (!options.notch_hz.empty()) {
    NotchFilterOptions no;
    no.notch_width_hz = options.notch_width_hz;
    no.trans_bandwidth_hz = options.notch_trans_bandwidth_hz;
    no.window = options.fir_window;
    const std::vector<double> freqs = notch_frequencies(options.notch_hz, options.notch_harmonics, in_sfreq_hz, no);
    for (double f : options.notch_hz) {
      if (std::find(freqs.begin(), freqs.end(), f) == freqs.end()) {
        notes.push_back(fmt::format("notch {} Hz dropped (input Nyquist {} Hz)", f, nyq));
      }
    }
    if (!freqs.empty()) {
      const std::vector<double> notch = design_notch_filter(in_sfreq_hz, freqs, no);
      parts.push_back(fmt::format("notch {} Hz ({} taps)", fmt::join(freqs, "/"), notch.size()));
      kernel = kernel.size() == 1 ? notch : convolve(kernel, notch);
    }
  }
  m.fir_length = static_cast<int64_t>(kernel.size());
  std::string fir_text = "no filter";
  if (kernel.size() > 1) {
    m.fir = std::make_unique<ZeroPhaseFir>(kernel, n_channels);
    m.fir->set_thread_pool(pool);
    fir_text = fmt::format("{} = {}-tap zero-phase FIR (reflect_limited) at {} Hz", fmt::join(parts, " + "),
                           kernel.size(), in_sfreq_hz);
  }
  m.ratio = resample_ratio(in_sfreq_hz, options.sfreq_hz, options.max_resample_factor);
  m.resampler = std::make_unique<PolyphaseResampler>(m.ratio.up, m.ratio.down, n_channels);
  m.resampler->set_thread_pool(pool);
  std::string rs_text = m.ratio.up == m.ratio.down
                            ? fmt::format("no resampling ({} Hz)", options.sfreq_hz)
                            : fmt::format("resample {} -> {} Hz ({}, Kaiser 5.0, {} taps)", in_sfreq_hz,
                                          options.sfreq_hz, m.ratio.describe(), m.resampler->filter_length());
  if (!m.ratio.exact) {
    EFM_LOG_WARN("[signal] resampling {} Hz -> {} Hz uses the approximate ratio {}", in_sfreq_hz, options.sfreq_hz,
                 m.ratio.describe());
  }
  m.description = fir_text + "; " + rs_text;
  if (!notes.empty()) m.description += fmt::format("; {}", fmt::join(notes, "; "));
}

Preprocessor::~Preprocessor() = default;
Preprocessor::Preprocessor(Preprocessor&&) noexcept = default;
Preprocessor& Preprocessor::operator=(Preprocessor&&) noexcept = default;

Eigen::MatrixXf Preprocessor::push(const Eigen::Ref<const Eigen::MatrixXf>& chunk) {
  Impl& m = *impl_;
  EFM_CHECK_ARG(!m.finished, "Preprocessor::push called after finish()");
  EFM_CHECK_ARG(chunk.rows() == m.channels, "Preprocessor::push: chunk has {} channels, expected {}", chunk.rows(),
                m.channels);
  // NaN/Inf check: a non-finite value makes the sum non-finite (a finite sum can only overflow for |x| ~ 1e38,
  // then the scan below finds nothing and processing continues).
  if (!std::isfinite(chunk.sum())) {
    for (Eigen::Index t = 0; t < chunk.cols(); ++t) {
      for (Eigen::Index c = 0; c < chunk.rows(); ++c) {
        EFM_CHECK_DATA(std::isfinite(chunk(c, t)), "Preprocessor: channel {} has a non-finite value ({}) at sample {}",
                       c, chunk(c, t), m.n_in + t);
      }
    }
  }
  m.n_in += chunk.cols();
  Eigen::MatrixXf out;
  if (m.fir) {
    const Eigen::MatrixXf filtered = m.fir->push(chunk);
    out = m.resampler->push(filtered);
  } else {
    out = m.resampler->push(chunk);
  }
  m.stats.add(out, m.pool);
  return out;
}

Eigen::MatrixXf Preprocessor::finish() {
  Impl& m = *impl_;
  EFM_CHECK_ARG(!m.finished, "Preprocessor::finish called twice");
  m.finished = true;
  Eigen::MatrixXf a(m.channels, 0);
  if (m.fir) a = m.resampler->push(m.fir->finish());
  const Eigen::MatrixXf b = m.resampler->finish();
  Eigen::MatrixXf out(m.channels, a.cols() + b.cols());
  out.leftCols(a.cols()) = a;
  out.rightCols(b.cols()) = b;
  m.stats.add(out, m.pool);
  return out;
}

double Preprocessor::out_sfreq_hz() const {
  return impl_->options.sfreq_hz;
}

int64_t Preprocessor::output_length(int64_t n_in) const {
  return impl_->resampler->output_length(n_in);
}

ChannelStats Preprocessor::stats() const {
  return impl_->stats.stats();
}

std::string Preprocessor::describe() const {
  return impl_->description;
}

int64_t Preprocessor::fir_length() const {
  return impl_->fir_length;
}

int64_t Preprocessor::resample_up() const {
  return impl_->ratio.up;
}

int64_t Preprocessor::resample_down() const {
  return impl_->ratio.down;
}

bool Preprocessor::resample_exact() const {
  return impl_->ratio.exact;
}

int64_t Preprocessor::latency_samples() const {
  const Impl& m = *impl_;
  const int64_t fir_delay = (m.fir_length - 1) / 2;
  if (m.ratio.up == m.ratio.down) return fir_delay;
  const int64_t half_len = (m.resampler->filter_length() - 1) / 2;
  return fir_delay + half_len / m.ratio.up + 1;
}

}  // namespace efm::signal
