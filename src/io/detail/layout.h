#pragma once
// Small memory-layout kernels shared by the EDF block decoder (edf_file.cpp) and the store writer (store_writer.cpp).
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace efm::io::detail {

/// dst[c * ld_dst + j] = src[j * ld_src + c] for c < rows, j < cols (e.g. column-major [rows, cols] into row-major),
/// in 4 x 4 SSE tiles: a plain element loop reads or writes with a stride and runs several times slower.
inline void transpose_into(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float* dst, int64_t ld_dst) {
  int64_t j = 0;
#if defined(__SSE2__)
  const int64_t r4 = rows - rows % 4;
  for (; j + 4 <= cols; j += 4) {
    const float* s = src + j * ld_src;
    for (int64_t c = 0; c < r4; c += 4) {
      __m128 a = _mm_loadu_ps(s + c), b = _mm_loadu_ps(s + ld_src + c);
      __m128 e = _mm_loadu_ps(s + 2 * ld_src + c), d = _mm_loadu_ps(s + 3 * ld_src + c);
      _MM_TRANSPOSE4_PS(a, b, e, d);
      _mm_storeu_ps(dst + c * ld_dst + j, a);
      _mm_storeu_ps(dst + (c + 1) * ld_dst + j, b);
      _mm_storeu_ps(dst + (c + 2) * ld_dst + j, e);
      _mm_storeu_ps(dst + (c + 3) * ld_dst + j, d);
    }
    for (int64_t c = r4; c < rows; ++c) {
      for (int64_t k = 0; k < 4; ++k) dst[c * ld_dst + j + k] = s[k * ld_src + c];
    }
  }
#endif
  for (; j < cols; ++j) {
    for (int64_t c = 0; c < rows; ++c) dst[c * ld_dst + j] = src[j * ld_src + c];
  }
}

/// True if none of the n floats is Inf or NaN (exponent bits all ones); branch-free, so it vectorises.
inline bool all_finite(const float* p, int64_t n) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, p + i, sizeof u);
    bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

}  // namespace efm::io::detail
