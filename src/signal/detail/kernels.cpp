#include "signal/detail/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "signal/detail/lane_fft.h"

namespace efm::signal::detail {

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  // EFM_SIGNAL_NO_AVX2=1 forces the SSE2 baseline (to test it on AVX2 machines).
  static const bool has =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && std::getenv("EFM_SIGNAL_NO_AVX2") == nullptr;
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
EFM_LANE_INLINE void convolve_block_impl(const FftConvView& v, const float* ring_re, const float* ring_im, int start,
                                         float* re, float* im) {
  lane_fft_forward_from_ring<W>(v.n, v.twr, v.twi, ring_re, ring_im, start, re, im);
  lane_multiply<W>(v.n, v.hr, v.hi, re, im);
  lane_fft_inverse<W>(v.n, v.log2n, v.twr, v.twi, re, im);
}

// Unaligned vector types for the channel dimension of the polyphase sums.
typedef float Unaligned4 __attribute__((vector_size(16), aligned(4)));
typedef float Unaligned8 __attribute__((vector_size(32), aligned(4)));
template <int W>
struct UnalignedType;
template <>
struct UnalignedType<4> {
  typedef Unaligned4 type;
};
template <>
struct UnalignedType<8> {
  typedef Unaligned8 type;
};

// Polyphase outputs with the channel sums held in registers: 4 vectors of W channels at a time, then single vectors,
// then scalars (measured 2.2x faster than accumulating through memory for 64 channels).
template <int W>
EFM_LANE_INLINE void polyphase_impl(const PolyphaseView& v, int64_t j0, int64_t count, const float* x, int64_t x_first,
                                    int channels, float* out, int64_t ld_out) {
  typedef typename UnalignedType<W>::type U;
  const int k_taps = v.taps_per_phase;
  const size_t c_count = static_cast<size_t>(channels);
  for (int64_t jj = 0; jj < count; ++jj) {
    const int64_t num = (j0 + jj) * v.down + v.half_len;
    const int64_t t0 = num / v.up;
    const int64_t phase = num % v.up;
    const float* taps = v.taps + phase * k_taps;
    const float* column = x + static_cast<size_t>(t0 - x_first) * c_count;
    float* o = out + jj * ld_out;
    size_t c0 = 0;
    for (; c0 + 4 * W <= c_count; c0 += 4 * W) {
      U a0 = {}, a1 = {}, a2 = {}, a3 = {};
      for (int m = 0; m < k_taps; ++m) {
        const float w = taps[m];
        const float* xp = column - static_cast<size_t>(m) * c_count + c0;
        a0 += w * *reinterpret_cast<const U*>(xp);
        a1 += w * *reinterpret_cast<const U*>(xp + W);
        a2 += w * *reinterpret_cast<const U*>(xp + 2 * W);
        a3 += w * *reinterpret_cast<const U*>(xp + 3 * W);
      }
      *reinterpret_cast<U*>(o + c0) = a0;
      *reinterpret_cast<U*>(o + c0 + W) = a1;
      *reinterpret_cast<U*>(o + c0 + 2 * W) = a2;
      *reinterpret_cast<U*>(o + c0 + 3 * W) = a3;
    }
    for (; c0 + W <= c_count; c0 += W) {
      U a0 = {};
      for (int m = 0; m < k_taps; ++m) {
        a0 += taps[m] * *reinterpret_cast<const U*>(column - static_cast<size_t>(m) * c_count + c0);
      }
      *reinterpret_cast<U*>(o + c0) = a0;
    }
    for (; c0 < c_count; ++c0) {
      float a = 0.0f;
      for (int m = 0; m < k_taps; ++m) a += taps[m] * column[c0 - static_cast<size_t>(m) * c_count];
      o[c0] = a;
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) void convolve_block_avx2(const FftConvView& v, int lanes, const float* ring_re,
                                                             const float* ring_im, int start, float* re, float* im) {
  if (lanes == 8) {
    convolve_block_impl<8>(v, ring_re, ring_im, start, re, im);
  } else {
    convolve_block_impl<4>(v, ring_re, ring_im, start, re, im);
  }
}

__attribute__((target("avx2,fma"))) void polyphase_avx2(const PolyphaseView& v, int64_t j0, int64_t count,
                                                        const float* x, int64_t x_first, int channels, float* out,
                                                        int64_t ld_out) {
  polyphase_impl<8>(v, j0, count, x, x_first, channels, out, ld_out);
}
#endif

void convolve_block_baseline(const FftConvView& v, const float* ring_re, const float* ring_im, int start, float* re,
                             float* im) {
  convolve_block_impl<4>(v, ring_re, ring_im, start, re, im);
}

void polyphase_baseline(const PolyphaseView& v, int64_t j0, int64_t count, const float* x, int64_t x_first,
                        int channels, float* out, int64_t ld_out) {
  polyphase_impl<4>(v, j0, count, x, x_first, channels, out, ld_out);
}

typedef double V4d __attribute__((vector_size(32)));
typedef float V4f __attribute__((vector_size(16)));
typedef int32_t V4i __attribute__((vector_size(16)));

// See shifted_sums() in kernels.h. d * d and the additions stay separate operations (no FMA contraction: the
// target below enables AVX only), so results equal the scalar loop's bit for bit.
EFM_LANE_INLINE void shifted_sums_impl(const float* x, size_t stride, int64_t nt, size_t c_begin, size_t c_end,
                                       double* sum, double* sum2, float* max_abs) {
  size_t c = c_begin;
  for (; c + 8 <= c_end; c += 8) {
    V4f x0, x1;
    std::memcpy(&x0, x + c, sizeof x0);
    std::memcpy(&x1, x + c + 4, sizeof x1);
    const V4d k0 = __builtin_convertvector(x0, V4d), k1 = __builtin_convertvector(x1, V4d);
    V4d s0 = {}, s1 = {}, q0 = {}, q1 = {};
    V4f m0, m1;
    std::memcpy(&m0, max_abs + c, sizeof m0);
    std::memcpy(&m1, max_abs + c + 4, sizeof m1);
    for (int64_t t = 0; t < nt; ++t) {
      const float* col = x + static_cast<size_t>(t) * stride + c;
      V4f a0, a1;
      std::memcpy(&a0, col, sizeof a0);
      std::memcpy(&a1, col + 4, sizeof a1);
      const V4d d0 = __builtin_convertvector(a0, V4d) - k0, d1 = __builtin_convertvector(a1, V4d) - k1;
      s0 += d0;
      s1 += d1;
      q0 += d0 * d0;
      q1 += d1 * d1;
      const V4f b0 = reinterpret_cast<V4f>(reinterpret_cast<V4i>(a0) & 0x7fffffff);
      const V4f b1 = reinterpret_cast<V4f>(reinterpret_cast<V4i>(a1) & 0x7fffffff);
      m0 = m0 < b0 ? b0 : m0;  // std::max(m, |x|)
      m1 = m1 < b1 ? b1 : m1;
    }
    for (int l = 0; l < 4; ++l) {
      sum[c + l] += s0[l];
      sum[c + 4 + l] += s1[l];
      sum2[c + l] += q0[l];
      sum2[c + 4 + l] += q1[l];
    }
    std::memcpy(max_abs + c, &m0, sizeof m0);
    std::memcpy(max_abs + c + 4, &m1, sizeof m1);
  }
  for (; c < c_end; ++c) {
    const double k = static_cast<double>(x[c]);
    double s = 0, q = 0;
    float m = max_abs[c];
    for (int64_t t = 0; t < nt; ++t) {
      const float v = x[static_cast<size_t>(t) * stride + c];
      const double d = static_cast<double>(v) - k;
      s += d;
      q += d * d;
      m = std::max(m, std::abs(v));
    }
    sum[c] += s;
    sum2[c] += q;
    max_abs[c] = m;
  }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx"))) void shifted_sums_avx(const float* x, size_t stride, int64_t nt, size_t c_begin,
                                                     size_t c_end, double* sum, double* sum2, float* max_abs) {
  shifted_sums_impl(x, stride, nt, c_begin, c_end, sum, sum2, max_abs);
}
#endif

void shifted_sums_baseline(const float* x, size_t stride, int64_t nt, size_t c_begin, size_t c_end, double* sum,
                           double* sum2, float* max_abs) {
  shifted_sums_impl(x, stride, nt, c_begin, c_end, sum, sum2, max_abs);
}

}  // namespace

void shifted_sums(const float* x, size_t stride, int64_t nt, size_t c_begin, size_t c_end, double* sum, double* sum2,
                  float* max_abs) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has_avx = __builtin_cpu_supports("avx") && std::getenv("EFM_SIGNAL_NO_AVX2") == nullptr;
  if (has_avx) {
    shifted_sums_avx(x, stride, nt, c_begin, c_end, sum, sum2, max_abs);
    return;
  }
#endif
  shifted_sums_baseline(x, stride, nt, c_begin, c_end, sum, sum2, max_abs);
}

void fft_convolve_block(const FftConvView& view, int lanes, const float* ring_re, const float* ring_im, int start,
                        float* out_re, float* out_im) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx2_fma()) {
    convolve_block_avx2(view, lanes, ring_re, ring_im, start, out_re, out_im);
    return;
  }
#endif
  if (lanes != 4) throw std::logic_error("fft_convolve_block: 8 lanes need AVX2");
  convolve_block_baseline(view, ring_re, ring_im, start, out_re, out_im);
}

void polyphase_outputs(const PolyphaseView& view, int64_t j0, int64_t count, const float* x, int64_t x_first,
                       int channels, float* out, int64_t ld_out) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx2_fma()) {
    polyphase_avx2(view, j0, count, x, x_first, channels, out, ld_out);
    return;
  }
#endif
  polyphase_baseline(view, j0, count, x, x_first, channels, out, ld_out);
}

}  // namespace efm::signal::detail
