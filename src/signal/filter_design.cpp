#include "epilepsyfm/signal/filter_design.h"

#include <unsupported/Eigen/FFT>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <numeric>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/enum_names.h"

namespace efm::signal {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The named windows, one row each: scipy.signal.windows.general_cosine coefficients (kaiser: none, it is computed
// from beta) and MNE 1.3 filter.py _length_factors, the transition-length factor (0: not offered by MNE's design).
struct WindowRow {
  std::string_view name;
  std::array<double, 3> cosine;
  size_t n_cosine;
  double length_factor;
};
constexpr std::array<WindowRow, 5> kWindows{{
    {"hamming", {0.54, 1.0 - 0.54, 0.0}, 2, 3.3},
    {"hann", {0.5, 1.0 - 0.5, 0.0}, 2, 3.1},
    {"blackman", {0.42, 0.50, 0.08}, 3, 5.0},
    {"boxcar", {1.0, 0.0, 0.0}, 1, 0.0},
    {"kaiser", {0.0, 0.0, 0.0}, 0, 0.0},
}};

// The row named `window` among those `offered`; ArgumentError "<what>: allowed values are ..." otherwise.
template <class Pred>
const WindowRow& window_row(const std::string& window, const char* what, Pred offered) {
  std::vector<std::string> names;
  for (const WindowRow& row : kWindows) {
    if (!offered(row)) continue;
    if (row.name == window) return row;
    names.emplace_back(row.name);
  }
  throw ArgumentError(allowed_values_error(what, names, window));
}

double length_factor(const std::string& window) {
  return window_row(window, "fir window", [](const WindowRow& r) { return r.length_factor > 0; }).length_factor;
}

// numpy.linspace(start, stop, n) element i (step multiplied, then start added; last element = stop).
double linspace_at(double start, double stop, int64_t n, int64_t i) {
  if (n == 1) return start;
  if (i == n - 1) return stop;
  const double step = (stop - start) / static_cast<double>(n - 1);
  return static_cast<double>(i) * step + start;
}

// scipy.signal.windows.general_cosine(M, a, sym=True).
std::vector<double> general_cosine(int64_t n, const std::vector<double>& a) {
  std::vector<double> w(static_cast<size_t>(n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const double fac = linspace_at(-kPi, kPi, n, i);
    double v = 0.0;
    for (size_t k = 0; k < a.size(); ++k) v += a[k] * std::cos(static_cast<double>(k) * fac);
    w[static_cast<size_t>(i)] = v;
  }
  return w;
}

// Modified Bessel function of the first kind, order 0 (power series; all terms positive, converges to double
// precision for the arguments used here, |x| <= ~20).
double bessel_i0(double x) {
  const double q = 0.25 * x * x;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 500; ++k) {
    term *= q / (static_cast<double>(k) * static_cast<double>(k));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

// numpy.sinc of (scale * m) as numpy evaluates it: y = pi * x; sin(y) / y.
double sinc_scaled(double scale, double m) {
  const double x = scale * m;
  if (x == 0.0) return 1.0;
  const double y = kPi * x;
  return std::sin(y) / y;
}

// MNE 1.3 filter.py _firwin_design: freq normalised to Nyquist (0 ... 1), gains 0/1.
std::vector<double> firwin_design(int64_t n, const std::vector<double>& freq, const std::vector<double>& gain,
                                  const std::string& window, double sfreq) {
  EFM_CHECK_STATE(n % 2 == 1 && freq.size() == gain.size() && freq.size() > 1 && freq.front() == 0.0,
                  "firwin_design: bad specification");
  const double factor = length_factor(window);
  std::vector<double> h(static_cast<size_t>(n), 0.0);
  double prev_freq = freq.back();
  double prev_gain = gain.back();
  if (prev_gain == 1.0) h[static_cast<size_t>(n / 2)] = 1.0;
  for (size_t i = freq.size() - 1; i-- > 0;) {
    const double this_freq = freq[i];
    const double this_gain = gain[i];
    if (this_gain != prev_gain) {
      const double transition = (prev_freq - this_freq) / 2.0;
      int64_t this_n = static_cast<int64_t>(std::nearbyint(factor / transition));  // Python round(): half to even
      this_n += 1 - this_n % 2;
      EFM_CHECK_ARG(this_n <= n,
                    "filter_length {} is too short for the requested {:.2f} Hz transition band, which requires {} "
                    "samples",
                    n, transition * sfreq / 2.0, this_n);
      const std::vector<double> lp = firwin_lowpass(this_n, (prev_freq + this_freq) / 2.0, window);
      const int64_t offset = (n - this_n) / 2;
      const double sign = this_gain == 0.0 ? -1.0 : 1.0;
      for (int64_t k = 0; k < this_n; ++k) h[static_cast<size_t>(offset + k)] += sign * lp[static_cast<size_t>(k)];
    }
    prev_gain = this_gain;
    prev_freq = this_freq;
  }
  return h;
}

std::vector<double> construct_fir(double sfreq, std::vector<double> freq_hz, const std::vector<double>& gain, int64_t n,
                                  const std::string& window) {
  for (double& f : freq_hz) f = f / (sfreq / 2.0);
  EFM_CHECK_STATE(freq_hz.front() == 0.0 && freq_hz.back() == 1.0, "construct_fir: frequencies must span 0..Nyquist");
  return firwin_design(n, freq_hz, gain, window, sfreq);
}

// MNE 1.3 _triage_filter_params (FIR part). Arrays are element-wise (band-stop with several bands).
struct Triaged {
  std::vector<double> l_freq, h_freq, l_stop, h_stop;
  int64_t n = 0;
};

Triaged triage(double sfreq, std::vector<double> l_freq, std::vector<double> h_freq,
               const std::optional<double>& l_trans_opt, const std::optional<double>& h_trans_opt,
               const std::optional<int64_t>& filter_length, const std::string& window, bool reverse) {
  const double nyq = sfreq / 2.0;
  const double factor = length_factor(window);
  Triaged t;
  double min_trans = std::numeric_limits<double>::infinity();
  for (double l : l_freq) EFM_CHECK_ARG(l > 0, "highpass frequency {} Hz must be greater than zero", l);
  for (double h : h_freq) {
    EFM_CHECK_ARG(h < nyq, "lowpass frequency {} Hz must be less than the Nyquist frequency ({} Hz)", h, nyq);
  }
  for (double& l : l_freq) {
    const double tb = l_trans_opt ? *l_trans_opt : std::min(std::max(0.25 * l, 2.0), l);
    EFM_CHECK_ARG(tb > 0, "l_trans_bandwidth must be positive, got {} Hz", tb);
    double stop = l - tb;
    if (reverse) {
      stop += tb;
      l += tb;
    }
    EFM_CHECK_ARG(stop >= 0,
                  "filter specification invalid: lower stop frequency negative ({:.2f} Hz); increase the pass "
                  "frequency or reduce the transition bandwidth (l_trans_bandwidth)",
                  stop);
    t.l_stop.push_back(stop);
    min_trans = std::min(min_trans, tb);
  }
  for (double& h : h_freq) {
    const double tb = h_trans_opt ? *h_trans_opt : std::min(std::max(0.25 * h, 2.0), nyq - h);
    EFM_CHECK_ARG(tb > 0, "h_trans_bandwidth must be positive, got {} Hz", tb);
    double stop = h + tb;
    if (reverse) {
      stop -= tb;
      h -= tb;
    }
    EFM_CHECK_ARG(stop <= nyq, "effective band-stop frequency ({} Hz) is too high (maximum based on Nyquist is {} Hz)",
                  stop, nyq);
    t.h_stop.push_back(stop);
    min_trans = std::min(min_trans, tb);
  }
  t.l_freq = std::move(l_freq);
  t.h_freq = std::move(h_freq);
  int64_t n = 0;
  if (filter_length) {
    n = *filter_length;
  } else {
    // 'auto': "%ss" % (factor * 1.0 / min_trans) -> ceil(seconds * sfreq) samples (_to_samples), at least 1.
    const double seconds = factor * 1.0 / min_trans;
    n = std::max<int64_t>(static_cast<int64_t>(std::ceil(seconds * sfreq)), 1);
  }
  n += (n - 1) % 2;  // odd for firwin / zero phase
  EFM_CHECK_ARG(n > 0, "filter_length must be positive, got {}", n);
  t.n = n;
  return t;
}

}  // namespace

std::vector<double> fir_window(const std::string& window, int64_t n, double kaiser_beta) {
  EFM_CHECK_ARG(n >= 1, "fir_window: length must be >= 1, got {}", n);
  if (n == 1) return {1.0};
  const WindowRow& row = window_row(window, "window", [](const WindowRow&) { return true; });
  if (row.n_cosine > 0) return general_cosine(n, {row.cosine.begin(), row.cosine.begin() + row.n_cosine});
  // kaiser, scipy.signal.windows.kaiser: I0(beta * sqrt(1 - ((k - alpha) / alpha)^2)) / I0(beta), alpha = (n - 1) / 2.
  std::vector<double> w(static_cast<size_t>(n));
  const double alpha = static_cast<double>(n - 1) / 2.0;
  const double denom = bessel_i0(kaiser_beta);
  for (int64_t k = 0; k < n; ++k) {
    const double r = (static_cast<double>(k) - alpha) / alpha;
    w[static_cast<size_t>(k)] = bessel_i0(kaiser_beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / denom;
  }
  return w;
}

std::vector<double> firwin_lowpass(int64_t numtaps, double cutoff, const std::string& window, double kaiser_beta) {
  EFM_CHECK_ARG(numtaps >= 1, "firwin: numtaps must be >= 1, got {}", numtaps);
  EFM_CHECK_ARG(cutoff > 0 && cutoff < 1, "firwin: cutoff must be in (0, 1) relative to Nyquist, got {}", cutoff);
  const double alpha = 0.5 * static_cast<double>(numtaps - 1);
  const std::vector<double> w = fir_window(window, numtaps, kaiser_beta);
  std::vector<double> h(static_cast<size_t>(numtaps));
  double sum = 0.0;
  for (int64_t k = 0; k < numtaps; ++k) {
    const double m = static_cast<double>(k) - alpha;
    const double v = cutoff * sinc_scaled(cutoff, m) * w[static_cast<size_t>(k)];
    h[static_cast<size_t>(k)] = v;
    sum += v;
  }
  // scale=True with a band starting at 0 Hz: unit gain at DC.
  for (double& v : h) v /= sum;
  return h;
}

std::vector<double> design_fir_filter(double sfreq_hz, std::optional<double> l_freq_hz, std::optional<double> h_freq_hz,
                                      const FirFilterOptions& options) {
  EFM_CHECK_ARG(std::isfinite(sfreq_hz) && sfreq_hz > 0, "sampling rate must be positive, got {} Hz", sfreq_hz);
  const double nyq = sfreq_hz / 2.0;
  std::vector<double> freq, gain;
  int64_t n = 0;
  if (!l_freq_hz && !h_freq_hz) {
    return {1.0};
  } else if (!l_freq_hz) {  // low-pass
    const Triaged t = triage(sfreq_hz, {}, {*h_freq_hz}, std::nullopt, options.h_trans_bandwidth_hz,
                             options.filter_length, options.window, false);
    freq = {0.0, t.h_freq[0], t.h_stop[0]};
    gain = {1, 1, 0};
    if (t.h_stop[0] != nyq) {
      freq.push_back(nyq);
      gain.push_back(0);
    }
    n = t.n;
  } else if (!h_freq_hz) {  // high-pass
    const Triaged t = triage(sfreq_hz, {*l_freq_hz}, {}, options.l_trans_bandwidth_hz, std::nullopt,
                             options.filter_length, options.window, false);
    freq = {t.l_stop[0], t.l_freq[0], nyq};
    gain = {0, 1, 1};
    if (t.l_stop[0] != 0) {
      freq.insert(freq.begin(), 0.0);
      gain.insert(gain.begin(), 0);
    }
    n = t.n;
  } else if (*l_freq_hz < *h_freq_hz) {  // band-pass
    const Triaged t = triage(sfreq_hz, {*l_freq_hz}, {*h_freq_hz}, options.l_trans_bandwidth_hz,
                             options.h_trans_bandwidth_hz, options.filter_length, options.window, false);
    freq = {t.l_stop[0], t.l_freq[0], t.h_freq[0], t.h_stop[0]};
    gain = {0, 1, 1, 0};
    if (t.h_stop[0] != nyq) {
      freq.push_back(nyq);
      gain.push_back(0);
    }
    if (t.l_stop[0] != 0) {
      freq.insert(freq.begin(), 0.0);
      gain.insert(gain.begin(), 0);
    }
    n = t.n;
  } else {  // band-stop: MNE swaps the roles (filter_data with l_freq > h_freq)
    const Triaged t = triage(sfreq_hz, {*h_freq_hz}, {*l_freq_hz}, options.h_trans_bandwidth_hz,
                             options.l_trans_bandwidth_hz, options.filter_length, options.window, true);
    freq = {t.l_stop[0], t.l_freq[0], t.h_freq[0], t.h_stop[0]};
    gain = {1, 0, 0, 1};
    if (freq.front() != 0) {
      freq.insert(freq.begin(), 0.0);
      gain.insert(gain.begin(), 1);
    }
    if (freq.back() != nyq) {
      freq.push_back(nyq);
      gain.push_back(1);
    }
    n = t.n;
  }
  return construct_fir(sfreq_hz, freq, gain, n, options.window);
}

std::vector<double> design_notch_filter(double sfreq_hz, const std::vector<double>& freqs_hz,
                                        const NotchFilterOptions& options) {
  EFM_CHECK_ARG(std::isfinite(sfreq_hz) && sfreq_hz > 0, "sampling rate must be positive, got {} Hz", sfreq_hz);
  EFM_CHECK_ARG(!freqs_hz.empty(), "notch filter: no frequencies given");
  EFM_CHECK_ARG(options.trans_bandwidth_hz > 0, "notch trans_bandwidth must be positive, got {} Hz",
                options.trans_bandwidth_hz);
  const double nyq = sfreq_hz / 2.0;
  const double tb_2 = options.trans_bandwidth_hz / 2.0;
  std::vector<double> lows, highs;
  for (double f : freqs_hz) {
    const double nw = options.notch_width_hz ? *options.notch_width_hz : f / 200.0;
    EFM_CHECK_ARG(nw >= 0, "notch width must be >= 0, got {} Hz", nw);
    lows.push_back(f - nw / 2.0 - tb_2);
    highs.push_back(f + nw / 2.0 + tb_2);
  }
  const Triaged t = triage(sfreq_hz, lows, highs, tb_2, tb_2, options.filter_length, options.window, true);
  // create_filter band-stop: f_s1 = l_freq, f_s2 = h_freq, f_p1 = l_stop, f_p2 = h_stop (after the reversal).
  std::vector<std::pair<double, double>> points;  // (freq, gain), concatenated as np.r_[f_p1, f_s1, f_s2, f_p2]
  for (double v : t.l_stop) points.emplace_back(v, 1.0);
  for (double v : t.l_freq) points.emplace_back(v, 0.0);
  for (double v : t.h_freq) points.emplace_back(v, 0.0);
  for (double v : t.h_stop) points.emplace_back(v, 1.0);
  std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<double> freq, gain;
  for (const auto& [f, g] : points) {
    freq.push_back(f);
    gain.push_back(g);
  }
  if (freq.front() != 0) {
    freq.insert(freq.begin(), 0.0);
    gain.insert(gain.begin(), 1.0);
  }
  if (freq.back() != nyq) {
    freq.push_back(nyq);
    gain.push_back(1.0);
  }
  for (size_t i = 2; i < gain.size(); ++i) {
    EFM_CHECK_ARG(std::abs(gain[i] - 2 * gain[i - 1] + gain[i - 2]) <= 1,
                  "notch filter: stop bands are not sufficiently separated (frequencies {})",
                  fmt::join(freqs_hz, ", "));
  }
  return construct_fir(sfreq_hz, freq, gain, t.n, options.window);
}

std::vector<double> notch_frequencies(const std::vector<double>& base_hz, bool harmonics, double sfreq_hz,
                                      const NotchFilterOptions& options) {
  const double nyq = sfreq_hz / 2.0;
  std::vector<double> out;
  for (double f : base_hz) {
    EFM_CHECK_ARG(f > 0, "notch frequency must be positive, got {} Hz", f);
    for (int k = 1;; ++k) {
      const double fk = f * k;
      const double nw = options.notch_width_hz ? *options.notch_width_hz : fk / 200.0;
      if (fk + nw / 2.0 + options.trans_bandwidth_hz / 2.0 >= nyq) break;
      out.push_back(fk);
      if (!harmonics) break;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<double> convolve(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return {};
  const size_t n_out = a.size() + b.size() - 1;
  std::vector<double> out(n_out, 0.0);
  if (static_cast<double>(a.size()) * static_cast<double>(b.size()) < 4e6) {
    for (size_t i = 0; i < a.size(); ++i) {
      for (size_t j = 0; j < b.size(); ++j) out[i + j] += a[i] * b[j];
    }
    return out;
  }
  // Long kernels (e.g. a 0.1 Hz band-pass at 1 kHz, 33001 taps, with a 6601-tap notch): FFT convolution in double,
  // round-off ~1e-16 of the kernel scale.
  size_t n = 1;
  while (n < n_out) n <<= 1;
  std::vector<std::complex<double>> fa(n, 0.0), fb(n, 0.0), sa, sb, prod(n), res;
  std::copy(a.begin(), a.end(), fa.begin());
  std::copy(b.begin(), b.end(), fb.begin());
  Eigen::FFT<double> fft;
  fft.fwd(sa, fa);
  fft.fwd(sb, fb);
  for (size_t k = 0; k < n; ++k) prod[k] = sa[k] * sb[k];
  fft.inv(res, prod);
  for (size_t k = 0; k < n_out; ++k) out[k] = res[k].real();
  return out;
}

double amplitude_response(const std::vector<double>& h, double freq_hz, double sfreq_hz) {
  std::complex<double> acc = 0.0;
  const double w = 2.0 * kPi * freq_hz / sfreq_hz;
  for (size_t k = 0; k < h.size(); ++k) acc += h[k] * std::polar(1.0, -w * static_cast<double>(k));
  return std::abs(acc);
}

}  // namespace efm::signal
