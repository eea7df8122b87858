#include "epilepsyfm/signal/rate.h"

#include <cmath>
#include <limits>
#include <numeric>

#include "epilepsyfm/core/check.h"

namespace efm::signal {
namespace {

__extension__ typedef __int128 Int128;  // exact products of 64-bit rate terms (GCC/Clang)

constexpr double kExactTolerance = 1e-12;
constexpr Int128 kInt64Max = std::numeric_limits<int64_t>::max();

/// Reduces the fraction p / q (both > 0) to lowest terms (Euclid's gcd).
void reduce_fraction(Int128& p, Int128& q) {
  Int128 a = p, b = q;
  while (b != 0) {
    const Int128 t = a % b;
    a = b;
    b = t;
  }
  p /= a;
  q /= a;
}

struct Fraction {
  int64_t p = 0;
  int64_t q = 1;
};

// Continued-fraction terms are produced by `next_term` (returns false when the expansion ends). Returns the last
// convergent (or semiconvergent) with p, q <= bound that is closest to `target`, stopping early at the first one
// within `tolerance` (relative) when tolerance > 0.
template <class NextTerm>
Fraction best_approximation(double target, int64_t bound, double tolerance, NextTerm next_term) {
  int64_t h2 = 0, h1 = 1, k2 = 1, k1 = 0;  // h_{n-2}, h_{n-1}, k_{n-2}, k_{n-1}
  Fraction best{0, 1};
  auto error = [target](const Fraction& f) {
    return std::abs(static_cast<double>(f.p) / static_cast<double>(f.q) - target) / target;
  };
  int64_t a = 0;
  while (next_term(a)) {
    // Overflow-safe check whether the full convergent fits the bound.
    const bool fits = (h1 == 0 || a <= (bound - h2) / h1) && (k1 == 0 || a <= (bound - k2) / k1);
    if (!fits) {
      int64_t t = std::numeric_limits<int64_t>::max();
      if (h1 > 0) t = std::min(t, (bound - h2) / h1);
      if (k1 > 0) t = std::min(t, (bound - k2) / k1);
      if (t >= 1) {
        const Fraction semi{t * h1 + h2, t * k1 + k2};
        if (semi.p > 0 && (best.p == 0 || error(semi) < error(best))) best = semi;
      }
      break;
    }
    const int64_t h = a * h1 + h2;
    const int64_t k = a * k1 + k2;
    h2 = h1;
    h1 = h;
    k2 = k1;
    k1 = k;
    if (h > 0) {
      best = {h, k};
      if (tolerance > 0 && error(best) <= tolerance) break;
    }
  }
  return best;
}

Fraction approximate_double(double x, int64_t bound, double tolerance) {
  double rest = x;
  int guard = 0;
  return best_approximation(x, bound, tolerance, [&](int64_t& a) {
    if (!std::isfinite(rest) || ++guard > 64) return false;
    const double fl = std::floor(rest);
    if (fl > 9.0e18) return false;
    a = static_cast<int64_t>(fl);
    const double frac = rest - fl;
    rest = frac > 0 ? 1.0 / frac : std::numeric_limits<double>::infinity();
    return true;
  });
}

Fraction approximate_rational(int64_t num, int64_t den, int64_t bound) {
  int64_t n = num, d = den;
  return best_approximation(static_cast<double>(num) / static_cast<double>(den), bound, 0.0, [&](int64_t& a) {
    if (d == 0) return false;
    a = n / d;
    const int64_t r = n % d;
    n = d;
    d = r;
    return true;
  });
}

ResampleRatio make_ratio(Fraction f, double target, double out_hz) {
  ResampleRatio r;
  r.up = f.p;
  r.down = f.q;
  r.relative_error = (static_cast<double>(f.p) / static_cast<double>(f.q)) / target - 1.0;
  r.exact = std::abs(r.relative_error) <= kExactTolerance;
  r.drift_samples_per_day = r.exact ? 0.0 : std::abs(r.relative_error) * 86400.0 * out_hz;
  return r;
}

}  // namespace

RationalRate edf_sampling_rate(int64_t samples_per_record, std::string_view text) {
  const std::string original(text);
  while (!text.empty() && (text.front() == ' ' || text.front() == '+')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  Int128 digits = 0;
  int64_t scale = 1;
  bool seen_point = false, seen_digit = false;
  for (char c : text) {
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    EFM_CHECK_DATA(c >= '0' && c <= '9', "record duration '{}' is not a plain positive decimal number", original);
    seen_digit = true;
    digits = digits * 10 + (c - '0');
    if (seen_point) {
      EFM_CHECK_DATA(scale <= std::numeric_limits<int64_t>::max() / 10, "record duration '{}' has too many decimals",
                     original);
      scale *= 10;
    }
    EFM_CHECK_DATA(digits < (static_cast<Int128>(1) << 62), "record duration '{}' is too long", original);
  }
  EFM_CHECK_DATA(seen_digit && digits > 0, "record duration '{}' must be a positive decimal number", original);
  EFM_CHECK_DATA(samples_per_record > 0, "samples per record must be positive, got {} (record duration '{}')",
                 samples_per_record, original);
  // rate = spr / (digits / scale) = spr * scale / digits
  Int128 num = static_cast<Int128>(samples_per_record) * scale;
  Int128 den = digits;
  reduce_fraction(num, den);
  EFM_CHECK_DATA(num <= kInt64Max && den <= kInt64Max,
                 "sampling rate {} samples / '{}' s does not fit a 64-bit fraction", samples_per_record, original);
  return {static_cast<int64_t>(num), static_cast<int64_t>(den)};
}

RationalRate rational_rate(double hz, int64_t max_term) {
  EFM_CHECK_ARG(std::isfinite(hz) && hz > 0, "rational_rate: rate must be positive and finite, got {}", hz);
  const Fraction f = approximate_double(hz, max_term, 1e-13);
  return {f.p, f.q};
}

std::string ResampleRatio::describe() const {
  if (exact) return fmt::format("{}/{} (exact)", up, down);
  return fmt::format("{}/{} (approximate: relative error {:.3g}, drift {:.3g} output samples per 24 h)", up, down,
                     relative_error, drift_samples_per_day);
}

ResampleRatio resample_ratio(double in_hz, double out_hz, int64_t max_factor) {
  EFM_CHECK_ARG(std::isfinite(in_hz) && in_hz > 0, "resample_ratio: input rate must be positive, got {} Hz", in_hz);
  EFM_CHECK_ARG(std::isfinite(out_hz) && out_hz > 0, "resample_ratio: output rate must be positive, got {} Hz", out_hz);
  EFM_CHECK_ARG(max_factor >= 1, "resample_ratio: max_factor must be >= 1, got {}", max_factor);
  const double target = out_hz / in_hz;
  return make_ratio(approximate_double(target, max_factor, kExactTolerance), target, out_hz);
}

ResampleRatio resample_ratio(const RationalRate& in, const RationalRate& out, int64_t max_factor) {
  EFM_CHECK_ARG(in.num > 0 && in.den > 0 && out.num > 0 && out.den > 0,
                "resample_ratio: rates must be positive fractions, got {}/{} and {}/{}", in.num, in.den, out.num,
                out.den);
  EFM_CHECK_ARG(max_factor >= 1, "resample_ratio: max_factor must be >= 1, got {}", max_factor);
  Int128 p = static_cast<Int128>(out.num) * in.den;
  Int128 q = static_cast<Int128>(out.den) * in.num;
  reduce_fraction(p, q);
  const double target = static_cast<double>(p) / static_cast<double>(q);
  if (p <= max_factor && q <= max_factor) {
    ResampleRatio r;
    r.up = static_cast<int64_t>(p);
    r.down = static_cast<int64_t>(q);
    return r;
  }
  EFM_CHECK_ARG(p <= kInt64Max && q <= kInt64Max, "resample_ratio: ratio of {}/{} Hz to {}/{} Hz overflows 64 bits",
                in.num, in.den, out.num, out.den);
  return make_ratio(approximate_rational(static_cast<int64_t>(p), static_cast<int64_t>(q), max_factor), target,
                    out.hz());
}

}  // namespace efm::signal
