#pragma once
// Small signal statistics for the simulator tests: line length, Welch-averaged power spectra (direct DFT at chosen
// frequencies; no FFT library needed at these sizes), correlation.
#include <cmath>
#include <vector>

namespace efm::sim::test {

/// Mean absolute first difference of x[begin, end).
inline double line_length(const std::vector<double>& x, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin + 1; i < end; ++i) s += std::fabs(x[i] - x[i - 1]);
  return end > begin + 1 ? s / double(end - begin - 1) : 0.0;
}

inline double mean(const std::vector<double>& x, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += x[i];
  return s / double(end - begin);
}

inline double stddev(const std::vector<double>& x, size_t begin, size_t end) {
  const double m = mean(x, begin, end);
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += (x[i] - m) * (x[i] - m);
  return std::sqrt(s / double(end - begin));
}

/// Welch power spectrum of x[begin, end) at `freqs` (Hz): 2-s Hann windows, 50% overlap, mean removed per window.
inline std::vector<double> welch(const std::vector<double>& x, size_t begin, size_t end, double fs,
                                 const std::vector<double>& freqs) {
  const size_t n = size_t(2 * fs);
  const double kPi = 3.14159265358979323846;
  // Hann-windowed twiddles, one row per frequency.
  std::vector<double> wc(freqs.size() * n), ws(freqs.size() * n);
  for (size_t f = 0; f < freqs.size(); ++f) {
    const double om = 2 * kPi * freqs[f] / fs;
    for (size_t k = 0; k < n; ++k) {
      const double w = 0.5 - 0.5 * std::cos(2 * kPi * double(k) / double(n));
      wc[f * n + k] = w * std::cos(om * double(k));
      ws[f * n + k] = w * std::sin(om * double(k));
    }
  }
  std::vector<double> p(freqs.size(), 0.0), seg(n);
  int segments = 0;
  for (size_t s = begin; s + n <= end; s += n / 2, ++segments) {
    const double m = mean(x, s, s + n);
    for (size_t k = 0; k < n; ++k) seg[k] = x[s + k] - m;
    for (size_t f = 0; f < freqs.size(); ++f) {
      double re = 0, im = 0;
      for (size_t k = 0; k < n; ++k) {
        re += seg[k] * wc[f * n + k];
        im += seg[k] * ws[f * n + k];
      }
      p[f] += re * re + im * im;
    }
  }
  for (auto& v : p) v /= std::max(1, segments);
  return p;
}

/// Frequencies lo, lo + step, ..., hi.
inline std::vector<double> freq_grid(double lo, double hi, double step) {
  std::vector<double> f;
  for (double v = lo; v <= hi + 1e-9; v += step) f.push_back(v);
  return f;
}

inline double peak_frequency(const std::vector<double>& p, const std::vector<double>& f) {
  size_t best = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    if (p[i] > p[best]) best = i;
  }
  return f[best];
}

inline double band_power(const std::vector<double>& p, const std::vector<double>& f, double lo, double hi) {
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (f[i] >= lo && f[i] <= hi) s += p[i];
  }
  return s;
}

inline double correlation(const std::vector<double>& a, const std::vector<double>& b, size_t begin, size_t end) {
  const double ma = mean(a, begin, end), mb = mean(b, begin, end);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = begin; i < end; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

}  // namespace efm::sim::test
