#pragma once
// Hot loops of signal/, compiled twice (SSE2 baseline and AVX2+FMA) and selected at run time by CPU features.
// Plain types only, so that no AVX-compiled inline function can leak into the baseline path.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace efm::signal::detail {

/// True when the CPU supports AVX2 and FMA (checked once) and EFM_SIGNAL_NO_AVX2 is not set.
bool cpu_has_avx2_fma();
/// Lane width of the FFT convolution on this CPU: 8 with AVX2+FMA, else 4.
int preferred_lanes();

/// Floats aligned to 64 bytes (vector loads of the lane FFT need 32-byte alignment).
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(size_t n);
  float* data() { return ptr_.get(); }
  const float* data() const { return ptr_.get(); }
  size_t size() const { return n_; }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], Free> ptr_;
  size_t n_ = 0;
};

/// Everything one FFT-convolution block needs (see lane_fft.h): FFT size n = 2^log2n, twiddles (n floats each),
/// the kernel spectrum in bit-reversed order scaled by 1/n (n floats each).
struct FftConvView {
  int n = 0;
  int log2n = 0;
  const float* twr = nullptr;
  const float* twi = nullptr;
  const float* hr = nullptr;
  const float* hi = nullptr;
};

/// Twiddle tables for LaneFft of size n (power of two).
void make_twiddles(int n, float* twr, float* twi);

/// Circular convolution of `lanes` complex signals with the kernel of `view`: the n input points are read from the
/// ring buffer ring_re/ring_im (capacity n points, point k at ring position (start + k) mod n; left unchanged), the
/// n output points written to out_re/out_im. All buffers n * lanes floats, lane-interleaved, 32-byte aligned.
/// lanes must be 4, or 8 when cpu_has_avx2_fma(); n >= 16.
void fft_convolve_block(const FftConvView& view, int lanes, const float* ring_re, const float* ring_im, int start,
                        float* out_re, float* out_im);

/// Polyphase resampling outputs j0 .. j0 + count - 1 (see resample.cpp): output j is
///   sum_m taps[p * taps_per_phase + m] * x(t0 - m),  t0 = (j * down + half_len) / up,  p = (j * down + half_len) % up
/// for every channel. x: column-major [channels, *] with column t at x + (t - x_first) * channels; the caller
/// guarantees the columns t0 - taps_per_phase + 1 .. t0 exist. out: column-major [channels, count] with column
/// stride ld_out >= channels.
struct PolyphaseView {
  const float* taps = nullptr;
  int taps_per_phase = 0;
  int64_t up = 1;
  int64_t down = 1;
  int64_t half_len = 0;
};
void polyphase_outputs(const PolyphaseView& view, int64_t j0, int64_t count, const float* x, int64_t x_first,
                       int channels, float* out, int64_t ld_out);

/// Shifted sums for StatsAccumulator (preprocess.cpp), channels [c_begin, c_end) of x (column-major, column t at
/// x + t * stride), t in [0, nt): sum[c] += d, sum2[c] += d * d with d = double(x(c, t)) - double(x(c, 0)),
/// max_abs[c] = max(max_abs[c], |x(c, t)|), each channel's terms added in t order. Eight channels at a time with
/// the sums in registers (AVX when the CPU has it, without FMA: the same roundings as the plain loop).
void shifted_sums(const float* x, size_t stride, int64_t nt, size_t c_begin, size_t c_end, double* sum, double* sum2,
                  float* max_abs);

}  // namespace efm::signal::detail
