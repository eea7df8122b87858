#include "epilepsyfm/simulate/neural_mass.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

#include "epilepsyfm/core/check.h"

namespace efm::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;

WendlingGains lerp(const WendlingGains& x, const WendlingGains& y, double f) {
  return {x.A + f * (y.A - x.A), x.B + f * (y.B - x.B), x.G + f * (y.G - x.G)};
}

// Piecewise-linear evaluation with a forward-moving cursor (times are non-decreasing between calls).
template <class Knot, class Value, class Lerp>
Value eval_knots(const std::vector<Knot>& knots, size_t& cursor, double t, Value Knot::*member, Lerp&& lerp_fn) {
  while (cursor + 1 < knots.size() && knots[cursor + 1].t_s <= t) ++cursor;
  const Knot& k0 = knots[cursor];
  if (cursor + 1 == knots.size() || t <= k0.t_s) return k0.*member;
  const Knot& k1 = knots[cursor + 1];
  return lerp_fn(k0.*member, k1.*member, (t - k0.t_s) / (k1.t_s - k0.t_s));
}

// Windowed-sinc low-pass (Blackman window), unit DC gain. cutoff is a fraction of the sampling rate.
std::vector<double> blackman_lowpass(int64_t taps, double cutoff) {
  std::vector<double> h(static_cast<size_t>(taps));
  const double mid = 0.5 * double(taps - 1);
  double sum = 0;
  for (int64_t k = 0; k < taps; ++k) {
    const double x = double(k) - mid;
    const double sinc = x == 0 ? 2 * cutoff : std::sin(2 * kPi * cutoff * x) / (kPi * x);
    const double w = 0.42 - 0.5 * std::cos(2 * kPi * double(k) / double(taps - 1)) +
                     0.08 * std::cos(4 * kPi * double(k) / double(taps - 1));
    h[k] = sinc * w;
    sum += h[k];
  }
  for (auto& v : h) v /= sum;
  return h;
}

}  // namespace

std::vector<double> psp_propagator(double k, double dt) {
  // Critically damped block y'' = k w - 2k y' - k^2 y (Jansen-Rit/Wendling PSP kernel h(t) = k t e^{-kt} scaled by
  // the gain inside w). Exact solution over one step with w constant:
  //   e^{M dt} = e^{-k dt} [[1 + k dt, dt], [-k^2 dt, 1 - k dt]],
  //   integral_0^dt e^{M s} ds [0, k]^T = [(1 - e^{-k dt}(1 + k dt)) / k, k dt e^{-k dt}]^T.
  const double e = std::exp(-k * dt);
  return {e * (1 + k * dt), dt * e, -k * k * dt * e, e * (1 - k * dt), (1 - e * (1 + k * dt)) / k, k * dt * e};
}

NeuralMassNetwork::NeuralMassNetwork(const NeuralMassOptions& options, Eigen::MatrixXd coupling,
                                     NetworkSchedule schedule, int decimation, uint64_t seed, double start_s,
                                     double burn_in_s)
    : opt_(options),
      n_(static_cast<int>(coupling.rows())),
      k_(std::move(coupling)),
      schedule_(std::move(schedule)),
      decim_(decimation),
      rng_(seed),
      dt_(1.0 / options.rate_hz) {
  EFM_CHECK_ARG(n_ >= 1 && k_.cols() == n_, "coupling matrix must be square and non-empty, got {}x{}", k_.rows(),
                k_.cols());
  EFM_CHECK_ARG((k_.array() >= 0).all(), "coupling weights must be >= 0");
  EFM_CHECK_ARG(decim_ >= 1, "decimation ({}) must be >= 1", decim_);
  EFM_CHECK_ARG(opt_.rate_hz > 0 && opt_.input_reference_hz > 0, "rates must be > 0");
  EFM_CHECK_ARG(burn_in_s >= 0, "burn_in_s ({}) must be >= 0", burn_in_s);
  EFM_CHECK_ARG(int(schedule_.gains.size()) == n_, "schedule has {} regions; the coupling matrix has {}",
                schedule_.gains.size(), n_);
  for (int r = 0; r < n_; ++r) {
    const auto& g = schedule_.gains[r];
    EFM_CHECK_ARG(!g.empty(), "schedule of region {} has no knots", r);
    for (size_t i = 1; i < g.size(); ++i) {
      EFM_CHECK_ARG(g[i].t_s >= g[i - 1].t_s, "schedule of region {}: knot {} at {} s precedes knot {} at {} s", r, i,
                    g[i].t_s, i - 1, g[i - 1].t_s);
    }
  }
  if (schedule_.shared_input.empty()) schedule_.shared_input.push_back({0.0, 0.0});
  for (size_t i = 0; i < schedule_.shared_input.size(); ++i) {
    const auto& k = schedule_.shared_input[i];
    EFM_CHECK_ARG(k.value >= 0 && k.value <= 1, "shared_input knot {} value {} must be in [0, 1]", i, k.value);
    EFM_CHECK_ARG(i == 0 || k.t_s >= schedule_.shared_input[i - 1].t_s, "shared_input knots must be sorted by time");
  }

  auto make = [&](double k) {
    const auto p = psp_propagator(k, dt_);
    return Propagator{p[0], p[1], p[2], p[3], p[4], p[5]};
  };
  pa_ = make(opt_.a);
  pb_ = make(opt_.b);
  pg_ = make(opt_.g);
  pd_ = make(opt_.ad);
  for (int i = 0; i < 6; ++i) {
    y_[i].assign(n_, 0.0);
    yd_[i].assign(n_, 0.0);
  }
  knot_.assign(n_, 0);
  for (auto* v : {&gA_, &gB_, &gG_, &coupling_, &noise_}) v->assign(n_, 0.0);
  arg_.assign(4 * size_t(n_), 0.0);
  sig_.assign(4 * size_t(n_), 0.0);
  w_.assign(6 * size_t(n_), 0.0);
  noise_scale_ = opt_.input_std * std::sqrt(opt_.rate_hz / opt_.input_reference_hz);

  if (decim_ == 1) {
    fir_ = {1.0};
  } else {
    fir_ = blackman_lowpass(32 * int64_t(decim_) + 1, 0.4 / decim_);
  }
  half_ = (int64_t(fir_.size()) - 1) / 2;
  origin_ = std::llround(start_s / dt_);
  const int64_t burn_steps = std::llround(burn_in_s / dt_);
  step_ = origin_ - half_ - burn_steps;
  integrate_steps(burn_steps, /*record=*/false);
  buffer_start_ = step_;  // = origin_ - half_
}

void NeuralMassNetwork::integrate_steps(int64_t n_steps, bool record) {
  const int n = n_;
  const double C = opt_.C;
  const double C1 = opt_.c1 * C, C2 = opt_.c2 * C, C3 = opt_.c3 * C, C4 = opt_.c4 * C, C5 = opt_.c5 * C,
               C6 = opt_.c6 * C, C7 = opt_.c7 * C;
  const double two_e0 = 2 * opt_.e0, r = opt_.r, v0 = opt_.v0, ad = opt_.ad;
  double *y0 = y_[0].data(), *y1 = y_[1].data(), *y2 = y_[2].data(), *y3 = y_[3].data(), *y4 = y_[4].data(),
         *z = y_[5].data();
  double* arg = arg_.data();
  double* sig = sig_.data();
  double* w = w_.data();
  if (record) buffer_.reserve(buffer_.size() + size_t(n_steps * n));
  for (int64_t s = 0; s < n_steps; ++s, ++step_) {
    const double t = double(step_) * dt_;
    for (int i = 0; i < n; ++i) {
      const WendlingGains g = eval_knots(schedule_.gains[i], knot_[i], t, &GainKnot::gains, lerp);
      gA_[i] = g.A;
      gB_[i] = g.B;
      gG_[i] = g.G;
    }
    const double rho = eval_knots(schedule_.shared_input, rho_knot_, t, &ScalarKnot::value,
                                  [](double x, double y, double f) { return x + f * (y - x); });
    // Input noise; the common part is only drawn while some of it is shared.
    const double common = rho > 0 ? rng_.normal() : 0.0;
    const double own = noise_scale_ * std::sqrt(1.0 - rho), shared = noise_scale_ * std::sqrt(rho) * common;
    for (int i = 0; i < n; ++i) noise_[i] = opt_.input_mean + own * rng_.normal() + shared;
    // Coupling input from the delayed firing of the other regions (state before this step).
    for (int i = 0; i < n; ++i) {
      double u = 0;
      for (int j = 0; j < n; ++j) u += k_(i, j) * z[j];
      coupling_[i] = u;
    }
    // Sigmoid arguments r (v0 - x) for x = v, C1 y0, C3 y0, C5 y0 - C6 y4.
    for (int i = 0; i < n; ++i) {
      const double v = y1[i] - y2[i] - y3[i];
      if (record) buffer_.push_back(v);
      arg[i] = r * (v0 - v);
      arg[n + i] = r * (v0 - C1 * y0[i]);
      arg[2 * n + i] = r * (v0 - C3 * y0[i]);
      arg[3 * n + i] = r * (v0 - (C5 * y0[i] - C6 * y4[i]));
    }
    // Eigen's SIMD exp (libm's exp does not vectorise).
    Eigen::Map<Eigen::ArrayXd> a(arg, 4 * n), sg(sig, 4 * n);
    sg = two_e0 / (1.0 + a.exp());
    // PSP block inputs w (y'' = k w - 2k y' - k^2 y), Wendling 2002 equations (see the header).
    for (int i = 0; i < n; ++i) {
      const double sv = sig[i], s1 = sig[n + i], s3 = sig[2 * n + i], s5 = sig[3 * n + i];
      w[i] = gA_[i] * sv;
      w[n + i] = gA_[i] * (noise_[i] + C2 * s1 + coupling_[i]);
      w[2 * n + i] = gB_[i] * C4 * s3;
      w[3 * n + i] = gG_[i] * C7 * s5;
      w[4 * n + i] = gB_[i] * s3;
      w[5 * n + i] = ad * sv;  // unit static gain: z -> S(v)
    }
    const Propagator* props[6] = {&pa_, &pa_, &pb_, &pg_, &pb_, &pd_};
    for (int b = 0; b < 6; ++b) {
      const Propagator& P = *props[b];
      double* y = y_[b].data();
      double* yd = yd_[b].data();
      const double* wb = w + b * n;
      for (int i = 0; i < n; ++i) {
        const double yn = P.p00 * y[i] + P.p01 * yd[i] + P.q0 * wb[i];
        yd[i] = P.p10 * y[i] + P.p11 * yd[i] + P.q1 * wb[i];
        y[i] = yn;
      }
    }
  }
}

void NeuralMassNetwork::next(int64_t count, std::vector<std::vector<double>>& out) {
  EFM_CHECK_ARG(count >= 0, "next: count ({}) must be >= 0", count);
  out.resize(n_);
  if (count == 0) return;
  const int n = n_;
  // Output m is centred on integration step origin_ + m * decim_ and needs the steps within +-half_ of it.
  const int64_t last_needed = origin_ + (next_out_ + count - 1) * decim_ + half_;
  const int64_t have_until = buffer_start_ + int64_t(buffer_.size()) / n;  // == step_
  if (last_needed >= have_until) integrate_steps(last_needed + 1 - have_until, /*record=*/true);
  const int64_t taps = int64_t(fir_.size());
  std::vector<double> acc(static_cast<size_t>(n), 0.0);
  for (auto& o : out) o.reserve(o.size() + size_t(count));
  for (int64_t m = 0; m < count; ++m) {
    const double* x = buffer_.data() + (origin_ + (next_out_ + m) * decim_ - half_ - buffer_start_) * n;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t k = 0; k < taps; ++k) {
      const double h = fir_[k];
      const double* xk = x + k * n;
      for (int i = 0; i < n; ++i) acc[i] += h * xk[i];  // vectorised across regions
    }
    for (int i = 0; i < n; ++i) out[i].push_back(acc[i]);
  }
  next_out_ += count;
  // Drop the raw samples that no later output needs.
  const int64_t drop = origin_ + next_out_ * decim_ - half_ - buffer_start_;
  if (drop > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + drop * n);
    buffer_start_ += drop;
  }
}

}  // namespace efm::sim
