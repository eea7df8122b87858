#pragma once
// A complex FFT that transforms W independent signals at once ("lanes"), for FFT convolution of many channels.
// Included only by kernels.cpp, which instantiates it once for SSE2 (W = 4) and once inside functions compiled for
// AVX2+FMA (W = 4 and 8), selected at run time. Everything here is internal-linkage and always inlined, so no
// AVX-compiled copy of a function can be picked by the linker for the SSE2 path. No std containers: raw pointers.
//
// Layout: element k of lane l is re[k * W + l] / im[k * W + l], so every butterfly works on W contiguous floats
// and vectorises without shuffles. Two real channels share one complex lane (one as the real part, one as the
// imaginary part): filtering with a real kernel keeps them apart.
//
// forward(): radix-2 decimation in frequency, natural order in, bit-reversed order out.
// inverse(): radix-2 decimation in time, bit-reversed order in, natural order out, unscaled (n * x).
// Used back to back with a spectrum stored in bit-reversed order, no permutation pass is needed. Pairs of radix-2
// stages are fused ("radix 2^2": same result and order, half the passes over memory, 3 instead of 4 complex
// products per 4 points).
//
// Twiddles: twr/twi[h + j] = cos/sin(-pi j / h) for h = 1, 2, 4, ..., n/2 and j < h (n floats each).

#define EFM_LANE_INLINE inline __attribute__((always_inline))

namespace {

typedef float LaneF4 __attribute__((vector_size(16), aligned(16)));
typedef float LaneF8 __attribute__((vector_size(32), aligned(32)));

template <int W>
struct LaneType;
template <>
struct LaneType<4> {
  typedef LaneF4 type;
};
template <>
struct LaneType<8> {
  typedef LaneF8 type;
};

template <int W>
EFM_LANE_INLINE void lane_radix2_unit(int n, float* __restrict re, float* __restrict im) {
  typedef typename LaneType<W>::type V;
  V* r = reinterpret_cast<V*>(re);
  V* i = reinterpret_cast<V*>(im);
  for (int s = 0; s < n; s += 2) {
    const V xr = r[s], xi = i[s], yr = r[s + 1], yi = i[s + 1];
    r[s] = xr + yr;
    i[s] = xi + yi;
    r[s + 1] = xr - yr;
    i[s + 1] = xi - yi;
  }
}

// The twiddles of one radix-2^2 butterfly at h, j: W_h^j, W_2h^j and W_2h^3j = W_2h^j W_h^j; conjugated for the
// inverse transform.
struct LaneTwiddles {
  float w1r, w1i, w2r, w2i, w3r, w3i;
};

template <bool Conjugate>
EFM_LANE_INLINE LaneTwiddles lane_twiddles(int h, int j, const float* twr, const float* twi) {
  const int q = h / 2;
  LaneTwiddles w;
  w.w1r = twr[q + j], w.w1i = Conjugate ? -twi[q + j] : twi[q + j];
  w.w2r = twr[h + j], w.w2i = Conjugate ? -twi[h + j] : twi[h + j];
  w.w3r = w.w1r * w.w2r - w.w1i * w.w2i;
  w.w3i = w.w1r * w.w2i + w.w1i * w.w2r;
  return w;
}

// One forward radix-2^2 butterfly: x0..x3 are the points j, j + q, j + h, j + h + q (q = h / 2); the results go to
// r0/i0 at the same offsets from j.
template <class V>
EFM_LANE_INLINE void lane_forward_butterfly(V x0r, V x0i, V x1r, V x1i, V x2r, V x2i, V x3r, V x3i,
                                            const LaneTwiddles& w, int q, int h, V* __restrict r0, V* __restrict i0) {
  const V t0r = x0r + x2r, t0i = x0i + x2i, t1r = x1r + x3r, t1i = x1i + x3i;
  const V ur = x0r - x2r, ui = x0i - x2i, vr = x1r - x3r, vi = x1i - x3i;
  r0[0] = t0r + t1r;
  i0[0] = t0i + t1i;
  const V dr = t0r - t1r, di = t0i - t1i;
  r0[q] = dr * w.w1r - di * w.w1i;
  i0[q] = dr * w.w1i + di * w.w1r;
  const V pr = ur + vi, pi = ui - vr;  // u - i v
  const V qr = ur - vi, qi = ui + vr;  // u + i v
  r0[h] = pr * w.w2r - pi * w.w2i;
  i0[h] = pr * w.w2i + pi * w.w2r;
  r0[h + q] = qr * w.w3r - qi * w.w3i;
  i0[h + q] = qr * w.w3i + qi * w.w3r;
}

// Inverse of lane_forward_butterfly (conjugate twiddles, unscaled: factor 4), in place on the points j, j + q,
// j + h, j + h + q of r0/i0 (passed at j).
template <class V>
EFM_LANE_INLINE void lane_inverse_butterfly(const LaneTwiddles& w, int q, int h, V* __restrict r0, V* __restrict i0) {
  const V z0r = r0[0], z0i = i0[0];
  const V a1r = r0[q], a1i = i0[q];
  const V a2r = r0[h], a2i = i0[h];
  const V a3r = r0[h + q], a3i = i0[h + q];
  const V z1r = a1r * w.w1r - a1i * w.w1i, z1i = a1r * w.w1i + a1i * w.w1r;
  const V z2r = a2r * w.w2r - a2i * w.w2i, z2i = a2r * w.w2i + a2i * w.w2r;
  const V z3r = a3r * w.w3r - a3i * w.w3i, z3i = a3r * w.w3i + a3i * w.w3r;
  const V t0r = z0r + z1r, t0i = z0i + z1i, t1r = z0r - z1r, t1i = z0i - z1i;
  const V ur = z2r + z3r, ui = z2i + z3i;  // P + Q
  const V vr = z3i - z2i, vi = z2r - z3r;  // i (P - Q)
  r0[0] = t0r + ur;
  i0[0] = t0i + ui;
  r0[h] = t0r - ur;
  i0[h] = t0i - ui;
  r0[q] = t1r + vr;
  i0[q] = t1i + vi;
  r0[h + q] = t1r - vr;
  i0[h + q] = t1i - vi;
}

// One pass of fused radix-2 stages h and h/2 over all n points, in place: forward (decimation in frequency) or
// inverse (decimation in time).
template <int W, bool Inverse>
EFM_LANE_INLINE void lane_pair_pass(int n, int h, const float* twr, const float* twi, float* __restrict re,
                                    float* __restrict im) {
  typedef typename LaneType<W>::type V;
  const int q = h / 2;
  V* r = reinterpret_cast<V*>(re);
  V* ii = reinterpret_cast<V*>(im);
  for (int s = 0; s < n; s += 2 * h) {
    V* r0 = r + s;
    V* i0 = ii + s;
    for (int j = 0; j < q; ++j) {
      if constexpr (Inverse) {
        lane_inverse_butterfly<V>(lane_twiddles<true>(h, j, twr, twi), q, h, r0 + j, i0 + j);
      } else {
        lane_forward_butterfly<V>(r0[j], i0[j], r0[j + q], i0[j + q], r0[j + h], i0[j + h], r0[j + h + q],
                                  i0[j + h + q], lane_twiddles<false>(h, j, twr, twi), q, h, r0 + j, i0 + j);
      }
    }
  }
}

// The first forward pass (h = n/2), out of place: reads the n input points from a ring buffer of capacity n starting
// at `start` (element k at ring position (start + k) mod n), writes the transformed points to dst. The ring keeps
// its contents, so overlap-save needs no copying of the overlap.
template <int W>
EFM_LANE_INLINE void lane_forward_first_from_ring(int n, const float* twr, const float* twi, const float* src_re,
                                                  const float* src_im, int start, float* __restrict re,
                                                  float* __restrict im) {
  typedef typename LaneType<W>::type V;
  const int h = n / 2, q = n / 4, mask = n - 1;
  const V* sr = reinterpret_cast<const V*>(src_re);
  const V* si = reinterpret_cast<const V*>(src_im);
  V* r0 = reinterpret_cast<V*>(re);
  V* i0 = reinterpret_cast<V*>(im);
  for (int j = 0; j < q; ++j) {
    const int k0 = (start + j) & mask, k1 = (start + j + q) & mask;
    const int k2 = (start + j + h) & mask, k3 = (start + j + h + q) & mask;
    lane_forward_butterfly<V>(sr[k0], si[k0], sr[k1], si[k1], sr[k2], si[k2], sr[k3], si[k3],
                              lane_twiddles<false>(h, j, twr, twi), q, h, r0 + j, i0 + j);
  }
}

// Forward transform of the ring contents into dst (n >= 4).
template <int W>
EFM_LANE_INLINE void lane_fft_forward_from_ring(int n, const float* twr, const float* twi, const float* src_re,
                                                const float* src_im, int start, float* re, float* im) {
  lane_forward_first_from_ring<W>(n, twr, twi, src_re, src_im, start, re, im);
  int h = n / 8;
  for (; h >= 2; h >>= 2) lane_pair_pass<W, false>(n, h, twr, twi, re, im);
  if (h == 1) lane_radix2_unit<W>(n, re, im);
}

template <int W>
EFM_LANE_INLINE void lane_fft_forward(int n, int log2n, const float* twr, const float* twi, float* re, float* im) {
  (void)log2n;
  int h = n / 2;
  for (; h >= 2; h >>= 2) lane_pair_pass<W, false>(n, h, twr, twi, re, im);
  if (h == 1) lane_radix2_unit<W>(n, re, im);
}

template <int W>
EFM_LANE_INLINE void lane_fft_inverse(int n, int log2n, const float* twr, const float* twi, float* re, float* im) {
  int h = 2;
  if (log2n % 2 == 1) {
    lane_radix2_unit<W>(n, re, im);
    h = 4;
  }
  for (; h < n; h <<= 2) lane_pair_pass<W, true>(n, h, twr, twi, re, im);
}

// Pointwise product with a spectrum given per bin (the same for all lanes).
template <int W>
EFM_LANE_INLINE void lane_multiply(int n, const float* hr, const float* hi, float* re, float* im) {
  typedef typename LaneType<W>::type V;
  V* r = reinterpret_cast<V*>(re);
  V* ii = reinterpret_cast<V*>(im);
  for (int k = 0; k < n; ++k) {
    const V a = r[k], b = ii[k];
    r[k] = a * hr[k] - b * hi[k];
    ii[k] = a * hi[k] + b * hr[k];
  }
}

}  // namespace
