#include "signal/detail/kernels.h"

#include <cmath>
#include <cstdlib>
#include <new>

#include "signal/detail/lane_fft.h"

namespace efm::signal::detail {

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

int preferred_lanes() {
  return cpu_has_avx2_fma() ? 8 : 4;
}

AlignedFloats::AlignedFloats(size_t n) : n_(n) {
  const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
  void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  ptr_.reset(static_cast<float*>(p));
}

void AlignedFloats::Free::operator()(float* p) const {
  std::free(p);
}

void make_twiddles(int n, float* twr, float* twi) {
  twr[0] = 1.0f;
  twi[0] = 0.0f;
  for (int h = 1; h < n; h <<= 1) {
    for (int j = 0; j < h; ++j) {
      const double a = -3.14159265358979323846 * static_cast<double>(j) / static_cast<double>(h);
      twr[h + j] = static_cast<float>(std::cos(a));
      twi[h + j] = static_cast<float>(std::sin(a));
    }
  }
}

namespace {

template <int W>
EFM_LANE_INLINE void convolve_block_impl(const FftConvView& v, float* re, float* im) {
  lane_fft_forward<W>(v.n, v.log2n, v.twr, v.twi, re, im);
  lane_multiply<W>(v.n, v.hr, v.hi, re, im);
  lane_fft_inverse<W>(v.n, v.log2n, v.twr, v.twi, re, im);
}

EFM_LANE_INLINE void polyphase_impl(const PolyphaseView& v, int64_t j0, int64_t count, const float* x, int64_t x_first,
                                    int channels, float* out) {
  const int k_taps = v.taps_per_phase;
  const size_t c_count = static_cast<size_t>(channels);
  for (int64_t jj = 0; jj < count; ++jj) {
    const int64_t num = (j0 + jj) * v.down + v.half_len;
    const int64_t t0 = num / v.up;
    const int64_t phase = num % v.up;
    const float* taps = v.taps + phase * k_taps;
    const float* column = x + static_cast<size_t>(t0 - x_first) * c_count;
    float* __restrict o = out + static_cast<size_t>(jj) * c_count;
    for (size_t c = 0; c < c_count; ++c) o[c] = 0.0f;
    for (int m = 0; m < k_taps; ++m) {
      const float w = taps[m];
      const float* __restrict xp = column - static_cast<size_t>(m) * c_count;
      for (size_t c = 0; c < c_count; ++c) o[c] += w * xp[c];
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) void convolve_block_avx2(const FftConvView& v, int lanes, float* re, float* im) {
  if (lanes == 8) {
    convolve_block_impl<8>(v, re, im);
  } else {
    convolve_block_impl<4>(v, re, im);
  }
}

__attribute__((target("avx2,fma"))) void polyphase_avx2(const PolyphaseView& v, int64_t j0, int64_t count,
                                                        const float* x, int64_t x_first, int channels, float* out) {
  polyphase_impl(v, j0, count, x, x_first, channels, out);
}
#endif

void convolve_block_baseline(const FftConvView& v, float* re, float* im) {
  convolve_block_impl<4>(v, re, im);
}

void polyphase_baseline(const PolyphaseView& v, int64_t j0, int64_t count, const float* x, int64_t x_first,
                        int channels, float* out) {
  polyphase_impl(v, j0, count, x, x_first, channels, out);
}

}  // namespace

void fft_convolve_block(const FftConvView& view, int lanes, float* re, float* im) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx2_fma()) {
    convolve_block_avx2(view, lanes, re, im);
    return;
  }
#endif
  convolve_block_baseline(view, re, im);
}

void polyphase_outputs(const PolyphaseView& view, int64_t j0, int64_t count, const float* x, int64_t x_first,
                       int channels, float* out) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx2_fma()) {
    polyphase_avx2(view, j0, count, x, x_first, channels, out);
    return;
  }
#endif
  polyphase_baseline(view, j0, count, x, x_first, channels, out);
}

}  // namespace efm::signal::detail
