#include "epilepsyfm/signal/preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "epilepsyfm/config/copy_fields.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/signal/filter_design.h"
#include "epilepsyfm/signal/fir.h"
#include "epilepsyfm/signal/rate.h"
#include "epilepsyfm/signal/resample.h"
#include "signal/detail/kernels.h"

namespace efm::signal {

// ---- profiles -------------------------------------------------------------------------------------------------

PreprocessOptions resolve_profile(const std::string& name) {
  const config::PreprocessingProfile& row = config::preprocessing_profile(name);
  PreprocessOptions o;
  o.profile = name;
  o.l_freq_hz = row.l_freq_hz;
  o.h_freq_hz = row.h_freq_hz;
  o.notch_hz.clear();
  if (row.notch_hz > 0) o.notch_hz.push_back(row.notch_hz);
  o.notch_harmonics = row.notch_harmonics;
  o.normalization = row.normalization;
  o.scale = row.scale;
  if (row.reject_abs_uv > 0) o.reject_abs_uv = row.reject_abs_uv;
  return o;
}

config::PreprocessingSpec preprocessing_spec(const PreprocessOptions& o, config::MontageKind montage) {
  config::PreprocessingSpec s;
  config::copy_fields(o, s);
  s.montage = montage;
  return s;
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
  EFM_CHECK_CONFIG(max_resample_factor >= 1, "preprocess.max_resample_factor: must be >= 1, got {}",
                   max_resample_factor);
}

PreprocessOptions resolve_preprocess(const config::PreprocessConfig& c) {
  PreprocessOptions o = resolve_profile(c.profile);
  config::copy_fields(c, o);                            // the overrides that are set
  if (o.reject_abs_uv == 0.0) o.reject_abs_uv.reset();  // the config's 0 means never
  o.validate();
  return o;
}

namespace {

/// True if no value is Inf or NaN (exponent bits all ones); branch-free, so it vectorises.
bool all_finite(const Eigen::Ref<const Eigen::MatrixXf>& x) {
  uint32_t bad = 0;
  for (Eigen::Index t = 0; t < x.cols(); ++t) {
    const float* col = x.data() + t * x.outerStride();
    for (Eigen::Index c = 0; c < x.rows(); ++c) {
      uint32_t u;
      std::memcpy(&u, col + c, sizeof u);
      bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
    }
  }
  return bad == 0;
}

[[noreturn]] void throw_non_finite(const Eigen::Ref<const Eigen::MatrixXf>& chunk, int64_t first_sample) {
  for (Eigen::Index t = 0; t < chunk.cols(); ++t) {
    for (Eigen::Index c = 0; c < chunk.rows(); ++c) {
      if (std::isfinite(chunk(c, t))) continue;
      throw DataError(fmt::format("Preprocessor: channel {} has a non-finite value ({}) at sample {}", c, chunk(c, t),
                                  first_sample + t));
    }
  }
  throw std::logic_error("Preprocessor: non-finite value reported but not found");
}

}  // namespace

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
    detail::shifted_sums(data, stride, nt, c_begin, c_end, sum.data(), sum2.data(), max_abs.data());
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
  // The channels are split into groups that run the whole pipeline (FIR, resampler, statistics) as one task each:
  // one synchronisation per chunk instead of one per stage, which matters on busy machines.
  struct Group {
    int c0 = 0;
    int count = 0;
    std::unique_ptr<ZeroPhaseFir> fir;
    std::unique_ptr<PolyphaseResampler> resampler;
    std::unique_ptr<StatsAccumulator> stats;
  };
  PreprocessOptions options;
  double in_sfreq = 0;
  int channels = 0;
  std::vector<Group> groups;
  ResampleRatio ratio;
  int64_t fir_length = 1;
  int64_t resample_taps = 1;
  std::string description;
  ThreadPool* pool = nullptr;
  int64_t n_in = 0;
  bool finished = false;

  template <class F>
  void for_each_group(const F& f) {
    if (pool != nullptr && groups.size() > 1) {
      pool->parallel_for(static_cast<int64_t>(groups.size()), [&](int64_t i) { f(groups[static_cast<size_t>(i)]); });
    } else {
      for (auto& g : groups) f(g);
    }
  }
};

Preprocessor::Preprocessor(const PreprocessOptions& options, double in_sfreq_hz, int n_channels, ThreadPool* pool)
    : impl_(std::make_unique<Impl>()) {
  EFM_CHECK_ARG(std::isfinite(in_sfreq_hz) && in_sfreq_hz > 0, "Preprocessor: input rate must be > 0, got {} Hz",
                in_sfreq_hz);
  options.validate();
  init(options, in_sfreq_hz, resample_ratio(in_sfreq_hz, options.sfreq_hz, options.max_resample_factor), n_channels,
       pool);
}

Preprocessor::Preprocessor(const PreprocessOptions& options, const RationalRate& in_rate, int n_channels,
                           ThreadPool* pool)
    : impl_(std::make_unique<Impl>()) {
  EFM_CHECK_ARG(in_rate.num > 0 && in_rate.den > 0, "Preprocessor: input rate must be > 0, got {}/{} Hz", in_rate.num,
                in_rate.den);
  options.validate();
  init(options, in_rate.hz(), resample_ratio(in_rate, rational_rate(options.sfreq_hz), options.max_resample_factor),
       n_channels, pool);
}

void Preprocessor::init(const PreprocessOptions& options, double in_sfreq_hz, const ResampleRatio& ratio,
                        int n_channels, ThreadPool* pool) {
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
      EFM_LOG_DEBUG("[signal] {} Hz input: {}", in_sfreq_hz, notes.back());
    }
  }
  std::vector<double> kernel{1.0};
  if (l_freq || h_freq) {
    FirFilterOptions fo;
    fo.l_trans_bandwidth_hz = options.l_trans_bandwidth_hz;
    fo.h_trans_bandwidth_hz = options.h_trans_bandwidth_hz;
    fo.window = enum_name(options.fir_window);
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
    no.window = enum_name(options.fir_window);
    const std::vector<double> freqs = notch_frequencies(options.notch_hz, options.notch_harmonics, in_sfreq_hz, no);
    for (double f : options.notch_hz) {
      if (std::find(freqs.begin(), freqs.end(), f) == freqs.end()) {
        notes.push_back(fmt::format("notch {} Hz dropped (input Nyquist {} Hz)", f, nyq));
        EFM_LOG_DEBUG("[signal] {} Hz input: {}", in_sfreq_hz, notes.back());
      }
    }
    if (!freqs.empty()) {
      const std::vector<double> notch = design_notch_filter(in_sfreq_hz, freqs, no);
      parts.push_back(fmt::format("notch {} Hz ({} taps)", fmt::join(freqs, "/"), notch.size()));
      kernel = kernel.size() == 1 ? notch : convolve(kernel, notch);
    }
  }
  m.fir_length = static_cast<int64_t>(kernel.size());
  m.ratio = ratio;
  // Channel groups: one per thread, sized in multiples of 16 channels (the FIR's widest channel pack).
  const int threads = pool != nullptr ? pool->size() + 1 : 1;
  const int packs = (n_channels + 15) / 16;
  const int n_groups = std::max(1, std::min(threads, packs));
  for (int g = 0, c0 = 0; g < n_groups; ++g) {
    const int end = g == n_groups - 1 ? n_channels : std::min(n_channels, 16 * (packs * (g + 1) / n_groups));
    Impl::Group group;
    group.c0 = c0;
    group.count = end - c0;
    if (kernel.size() > 1) group.fir = std::make_unique<ZeroPhaseFir>(kernel, group.count);
    group.resampler = std::make_unique<PolyphaseResampler>(m.ratio.up, m.ratio.down, group.count);
    group.stats = std::make_unique<StatsAccumulator>(group.count);
    m.resample_taps = group.resampler->filter_length();
    m.groups.push_back(std::move(group));
    c0 = end;
  }
  std::string fir_text = "no filter";
  if (kernel.size() > 1) {
    fir_text = fmt::format("{} = {}-tap zero-phase FIR (reflect_limited) at {} Hz", fmt::join(parts, " + "),
                           kernel.size(), in_sfreq_hz);
  }
  std::string rs_text = m.ratio.up == m.ratio.down
                            ? fmt::format("no resampling ({} Hz)", options.sfreq_hz)
                            : fmt::format("resample {} -> {} Hz ({}, Kaiser 5.0, {} taps)", in_sfreq_hz,
                                          options.sfreq_hz, m.ratio.describe(), m.resample_taps);
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
  if (m.groups.size() == 1 && !all_finite(chunk)) throw_non_finite(chunk, m.n_in);
  m.n_in += chunk.cols();
  // Every group is in the same state: the output length is known before filtering, so each group copies its rows
  // into the output itself (in parallel) instead of a gather afterwards.
  const Impl::Group& g0 = m.groups.front();
  const int64_t n_out = g0.resampler->push_outputs(g0.fir ? g0.fir->push_outputs(chunk.cols()) : chunk.cols());
  if (m.groups.size() == 1) {
    Impl::Group& g = m.groups.front();
    Eigen::MatrixXf y = g.fir ? g.resampler->push(g.fir->push(chunk)) : g.resampler->push(chunk);
    EFM_CHECK_STATE(y.cols() == n_out, "Preprocessor: {} outputs, expected {}", y.cols(), n_out);
    g.stats->add(y);
    return y;
  }
  Eigen::MatrixXf out(m.channels, n_out);
  // The NaN/Inf check runs inside the group tasks (no extra pass or synchronisation on this thread); a group with a
  // bad value stops before filtering, then the first bad value in time order is looked up for the message.
  std::vector<char> bad(m.groups.size(), 0);
  m.for_each_group([&](Impl::Group& g) {
    const auto rows = chunk.middleRows(g.c0, g.count);
    if (!all_finite(rows)) {
      bad[static_cast<size_t>(&g - m.groups.data())] = 1;
      return;
    }
    float* dst = out.data() + g.c0;
    const int64_t n = g.fir ? g.resampler->push_into(g.fir->push(rows), dst, m.channels)
                            : g.resampler->push_into(rows, dst, m.channels);
    EFM_CHECK_STATE(n == n_out, "Preprocessor: channel group gave {} outputs, expected {}", n, n_out);
    g.stats->add(out.middleRows(g.c0, g.count));
  });
  if (std::find(bad.begin(), bad.end(), 1) != bad.end()) throw_non_finite(chunk, m.n_in - chunk.cols());
  return out;
}

Eigen::MatrixXf Preprocessor::finish() {
  Impl& m = *impl_;
  EFM_CHECK_ARG(!m.finished, "Preprocessor::finish called twice");
  m.finished = true;
  std::vector<Eigen::MatrixXf> parts(m.groups.size());
  m.for_each_group([&](Impl::Group& g) {
    Eigen::MatrixXf a(g.count, 0);
    if (g.fir) a = g.resampler->push(g.fir->finish());
    const Eigen::MatrixXf b = g.resampler->finish();
    Eigen::MatrixXf y(g.count, a.cols() + b.cols());
    y.leftCols(a.cols()) = a;
    y.rightCols(b.cols()) = b;
    g.stats->add(y);
    parts[static_cast<size_t>(&g - m.groups.data())] = std::move(y);
  });
  return gather(parts);
}

Eigen::MatrixXf Preprocessor::gather(std::vector<Eigen::MatrixXf>& parts) const {
  if (parts.size() == 1) return std::move(parts[0]);
  Eigen::MatrixXf out(impl_->channels, parts[0].cols());
  for (size_t i = 0; i < parts.size(); ++i) {
    EFM_CHECK_STATE(parts[i].cols() == out.cols(), "Preprocessor: channel groups out of step");
    out.middleRows(impl_->groups[i].c0, impl_->groups[i].count) = parts[i];
  }
  return out;
}

double Preprocessor::out_sfreq_hz() const {
  return impl_->options.sfreq_hz;
}

int64_t Preprocessor::output_length(int64_t n_in) const {
  return impl_->groups.front().resampler->output_length(n_in);
}

ChannelStats Preprocessor::stats() const {
  ChannelStats all;
  for (const auto& g : impl_->groups) {
    const ChannelStats s = g.stats->stats();
    all.count = s.count;
    all.mean_uv.insert(all.mean_uv.end(), s.mean_uv.begin(), s.mean_uv.end());
    all.std_uv.insert(all.std_uv.end(), s.std_uv.begin(), s.std_uv.end());
    all.max_abs_uv.insert(all.max_abs_uv.end(), s.max_abs_uv.begin(), s.max_abs_uv.end());
  }
  return all;
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
  const int64_t half_len = (m.resample_taps - 1) / 2;
  return fir_delay + half_len / m.ratio.up + 1;
}

}  // namespace efm::signal
