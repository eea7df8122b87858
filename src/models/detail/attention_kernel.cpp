#include "models/detail/attention_kernel.h"

#include <immintrin.h>

#include <cmath>
#include <limits>

// The AVX+FMA functions below are compiled for that instruction set only (target pragma) and are only called when
// the CPU reports both features. They are static and use no inline library templates, so no copy of a shared
// inline function compiled for AVX can be picked by the linker for code that runs on other CPUs.

namespace efm::models::detail {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// Portable versions.

void gemm_rows_portable(const GemmRowsArgs& g) {
  for (int64_t m = 0; m < g.m; ++m) {
    float* c = g.c + m * g.ldc;
    if (!g.accumulate) {
      for (int64_t j = 0; j < g.cols; ++j) c[j] = 0.0F;
    }
    for (int64_t k = 0; k < g.k; ++k) {
      const float a = g.a[m * g.a_row + k * g.a_col];
      const float* b = g.b + k * g.ldb;
      for (int64_t j = 0; j < g.cols; ++j) c[j] += a * b[j];
    }
  }
}

void softmax_rows_portable(float* s, int64_t rows, int64_t n, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * ld;
    float mx = row[0];
    for (int64_t j = 1; j < n; ++j) mx = row[j] > mx ? row[j] : mx;
    float sum = 0.0F;
    for (int64_t j = 0; j < n; ++j) {
      row[j] = std::exp(row[j] - mx);
      sum += row[j];
    }
    const float inv = 1.0F / sum;
    for (int64_t j = 0; j < n; ++j) row[j] *= inv;
    for (int64_t j = n; j < ld; ++j) row[j] = 0.0F;
  }
}

void softmax_backward_rows_portable(const float* p, float* ds, int64_t rows, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* pr = p + r * ld;
    float* g = ds + r * ld;
    float dot = 0.0F;
    for (int64_t j = 0; j < ld; ++j) dot += pr[j] * g[j];
    for (int64_t j = 0; j < ld; ++j) g[j] = pr[j] * (g[j] - dot);
  }
}

void layer_norm_cols_portable(float* x, int64_t d, int64_t ld, float eps, const float* w, const float* b, float scale,
                              float* xhat, float* rstd) {
  for (int64_t i = 0; i < ld; ++i) {
    float s = 0.0F;
    for (int64_t j = 0; j < d; ++j) s += x[j * ld + i];
    const float mean = s / static_cast<float>(d);
    float v = 0.0F;
    for (int64_t j = 0; j < d; ++j) v += (x[j * ld + i] - mean) * (x[j * ld + i] - mean);
    const float r = 1.0F / std::sqrt(v / static_cast<float>(d) + eps);
    if (rstd != nullptr) rstd[i] = r;
    for (int64_t j = 0; j < d; ++j) {
      const float h = (x[j * ld + i] - mean) * r;
      if (xhat != nullptr) xhat[j * ld + i] = h;
      x[j * ld + i] = (h * w[j] + b[j]) * scale;
    }
  }
}

void affine_cols_portable(const float* xhat, int64_t d, int64_t ld, const float* w, const float* b, float scale,
                          float* y) {
  for (int64_t j = 0; j < d; ++j) {
    for (int64_t i = 0; i < ld; ++i) y[j * ld + i] = (xhat[j * ld + i] * w[j] + b[j]) * scale;
  }
}

void layer_norm_cols_backward_portable(float* g, const float* xhat, const float* rstd, int64_t d, int64_t ld,
                                       const float* w, float* dw, float* db) {
  for (int64_t j = 0; j < d; ++j) {
    for (int64_t i = 0; i < ld; ++i) {
      dw[j] += g[j * ld + i] * xhat[j * ld + i];
      db[j] += g[j * ld + i];
    }
  }
  const float inv_d = 1.0F / static_cast<float>(d);
  for (int64_t i = 0; i < ld; ++i) {
    float m1 = 0.0F, m2 = 0.0F;
    for (int64_t j = 0; j < d; ++j) {
      m1 += g[j * ld + i] * w[j];
      m2 += g[j * ld + i] * w[j] * xhat[j * ld + i];
    }
    m1 *= inv_d;
    m2 *= inv_d;
    for (int64_t j = 0; j < d; ++j) g[j * ld + i] = rstd[i] * (g[j * ld + i] * w[j] - m1 - xhat[j * ld + i] * m2);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// AVX + FMA versions.

#pragma GCC push_options
#pragma GCC target("avx,fma")

// R rows x V vectors of 8 columns held in registers over the whole k loop; A is broadcast, B read from L1.
template <int V, int R>
inline void gemm_block_avx(const GemmRowsArgs& g, int64_t m0, int64_t c0) {
  __m256 acc[R][V];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) {
      acc[r][v] = g.accumulate ? _mm256_loadu_ps(g.c + (m0 + r) * g.ldc + c0 + 8 * v) : _mm256_setzero_ps();
    }
  }
  const float* a0 = g.a + m0 * g.a_row;
  const float* b0 = g.b + c0;
  for (int64_t k = 0; k < g.k; ++k) {
    const float* b = b0 + k * g.ldb;
    const float* a = a0 + k * g.a_col;
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * g.a_row);
#pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + 8 * v), acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(g.c + (m0 + r) * g.ldc + c0 + 8 * v, acc[r][v]);
  }
}

// Rows per block: up to 12 accumulators (of 16 ymm registers) so that FMA latency is hidden.
template <int V>
void gemm_chunk_avx(const GemmRowsArgs& g, int64_t c0) {
  constexpr int kRows = V >= 12 ? 1 : 12 / V;
  int64_t m0 = 0;
  for (; m0 + kRows <= g.m; m0 += kRows) gemm_block_avx<V, kRows>(g, m0, c0);
  for (; m0 < g.m; ++m0) gemm_block_avx<V, 1>(g, m0, c0);
}

void gemm_rows_avx(const GemmRowsArgs& g) {
  int64_t c0 = 0;
  while (c0 < g.cols) {
    const int64_t left = (g.cols - c0) / 8;
    const int64_t v = left > 12 ? 12 : left;
    switch (v) {
      case 1: gemm_chunk_avx<1>(g, c0); break;
      case 2: gemm_chunk_avx<2>(g, c0); break;
      case 3: gemm_chunk_avx<3>(g, c0); break;
      case 4: gemm_chunk_avx<4>(g, c0); break;
      case 5: gemm_chunk_avx<5>(g, c0); break;
      case 6: gemm_chunk_avx<6>(g, c0); break;
      case 7: gemm_chunk_avx<7>(g, c0); break;
      case 8: gemm_chunk_avx<8>(g, c0); break;
      case 9: gemm_chunk_avx<9>(g, c0); break;
      case 10: gemm_chunk_avx<10>(g, c0); break;
      case 11: gemm_chunk_avx<11>(g, c0); break;
      default: gemm_chunk_avx<12>(g, c0); break;
    }
    c0 += 8 * v;
  }
}

// 2^n for integer-valued float n in [-126, 127]; AVX (without AVX2) has no 256-bit integer add/shift, so the
// exponent bits are built in two 128-bit halves.
inline __m256 pow2_int_avx(__m256 n) {
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m128i bias = _mm_set1_epi32(127);
  const __m128i lo = _mm_slli_epi32(_mm_add_epi32(_mm256_castsi256_si128(ni), bias), 23);
  const __m128i hi = _mm_slli_epi32(_mm_add_epi32(_mm256_extractf128_si256(ni, 1), bias), 23);
  return _mm256_castsi256_ps(_mm256_insertf128_si256(_mm256_castsi128_si256(lo), hi, 1));
}

// exp(x) for x <= 88: Cody-Waite range reduction x = n ln2 + r and the degree-7 expf polynomial of the Cephes
// library (S. Moshier, "Methods and Programs for Mathematical Functions", 1989), about 1-2 ulp. Inputs below
// -87.3 are clamped (the result, ~1e-38, is negligible in a softmax row whose largest term is 1).
inline __m256 exp_avx(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3F));
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3F));
  const __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341F), _mm256_set1_ps(0.5F)));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375F), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4F), r);
  __m256 p = _mm256_set1_ps(1.9875691500E-4F);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1F));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0F)));
  return _mm256_mul_ps(p, pow2_int_avx(n));
}

inline float hmax_avx(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

inline float hsum_avx(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

void softmax_rows_avx(float* s, int64_t rows, int64_t n, int64_t ld) {
  const int64_t full = n / 8 * 8;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * ld;
    __m256 mv = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t j = 0; j < full; j += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(row + j));
    float mx = hmax_avx(mv);
    for (int64_t j = full; j < n; ++j) mx = row[j] > mx ? row[j] : mx;
    const __m256 mxv = _mm256_set1_ps(mx);
    __m256 sv = _mm256_setzero_ps();
    for (int64_t j = 0; j < full; j += 8) {
      const __m256 e = exp_avx(_mm256_sub_ps(_mm256_loadu_ps(row + j), mxv));
      _mm256_storeu_ps(row + j, e);
      sv = _mm256_add_ps(sv, e);
    }
    float sum = hsum_avx(sv);
    if (full < n) {
      alignas(32) float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t j = full; j < n; ++j) tail[j - full] = row[j] - mx;
      _mm256_store_ps(tail, exp_avx(_mm256_load_ps(tail)));
      for (int64_t j = full; j < n; ++j) {
        row[j] = tail[j - full];
        sum += row[j];
      }
    }
    const __m256 inv = _mm256_set1_ps(1.0F / sum);
    for (int64_t j = 0; j < full; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
    const float invs = 1.0F / sum;
    for (int64_t j = full; j < n; ++j) row[j] *= invs;
    for (int64_t j = n; j < ld; ++j) row[j] = 0.0F;
  }
}

void softmax_backward_rows_avx(const float* p, float* ds, int64_t rows, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* pr = p + r * ld;
    float* g = ds + r * ld;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < ld; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(pr + j), _mm256_loadu_ps(g + j), acc);
    const __m256 dot = _mm256_set1_ps(hsum_avx(acc));
    for (int64_t j = 0; j < ld; j += 8) {
      _mm256_storeu_ps(g + j, _mm256_mul_ps(_mm256_loadu_ps(pr + j), _mm256_sub_ps(_mm256_loadu_ps(g + j), dot)));
    }
  }
}

void layer_norm_cols_avx(float* x, int64_t d, int64_t ld, float eps, const float* w, const float* b, float scale,
                         float* xhat, float* rstd) {
  const __m256 inv_d = _mm256_set1_ps(1.0F / static_cast<float>(d));
  const __m256 sc = _mm256_set1_ps(scale);
  for (int64_t i = 0; i < ld; i += 8) {
    __m256 s = _mm256_setzero_ps();
    for (int64_t j = 0; j < d; ++j) s = _mm256_add_ps(s, _mm256_loadu_ps(x + j * ld + i));
    const __m256 mean = _mm256_mul_ps(s, inv_d);
    __m256 v = _mm256_setzero_ps();
    for (int64_t j = 0; j < d; ++j) {
      const __m256 c = _mm256_sub_ps(_mm256_loadu_ps(x + j * ld + i), mean);
      v = _mm256_fmadd_ps(c, c, v);
    }
    const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0F),
                                   _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(v, inv_d), _mm256_set1_ps(eps))));
    if (rstd != nullptr) _mm256_storeu_ps(rstd + i, r);
    for (int64_t j = 0; j < d; ++j) {
      const __m256 h = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j * ld + i), mean), r);
      if (xhat != nullptr) _mm256_storeu_ps(xhat + j * ld + i, h);
      const __m256 y = _mm256_fmadd_ps(h, _mm256_set1_ps(w[j]), _mm256_set1_ps(b[j]));
      _mm256_storeu_ps(x + j * ld + i, _mm256_mul_ps(y, sc));
    }
  }
}

void affine_cols_avx(const float* xhat, int64_t d, int64_t ld, const float* w, const float* b, float scale, float* y) {
  const __m256 sc = _mm256_set1_ps(scale);
  for (int64_t j = 0; j < d; ++j) {
    const __m256 wj = _mm256_set1_ps(w[j]);
    const __m256 bj = _mm256_set1_ps(b[j]);
    for (int64_t i = 0; i < ld; i += 8) {
      _mm256_storeu_ps(y + j * ld + i, _mm256_mul_ps(_mm256_fmadd_ps(_mm256_loadu_ps(xhat + j * ld + i), wj, bj), sc));
    }
  }
}

void layer_norm_cols_backward_avx(float* g, const float* xhat, const float* rstd, int64_t d, int64_t ld, const float* w,
                                  float* dw, float* db) {
  for (int64_t j = 0; j < d; ++j) {
    __m256 aw = _mm256_setzero_ps();
    __m256 ab = _mm256_setzero_ps();
    for (int64_t i = 0; i < ld; i += 8) {
      const __m256 gv = _mm256_loadu_ps(g + j * ld + i);
      aw = _mm256_fmadd_ps(gv, _mm256_loadu_ps(xhat + j * ld + i), aw);
      ab = _mm256_add_ps(ab, gv);
    }
    dw[j] += hsum_avx(aw);
    db[j] += hsum_avx(ab);
  }
  const __m256 inv_d = _mm256_set1_ps(1.0F / static_cast<float>(d));
  for (int64_t i = 0; i < ld; i += 8) {
    __m256 m1 = _mm256_setzero_ps();
    __m256 m2 = _mm256_setzero_ps();
    for (int64_t j = 0; j < d; ++j) {
      const __m256 gw = _mm256_mul_ps(_mm256_loadu_ps(g + j * ld + i), _mm256_set1_ps(w[j]));
      m1 = _mm256_add_ps(m1, gw);
      m2 = _mm256_fmadd_ps(gw, _mm256_loadu_ps(xhat + j * ld + i), m2);
    }
    m1 = _mm256_mul_ps(m1, inv_d);
    m2 = _mm256_mul_ps(m2, inv_d);
    const __m256 r = _mm256_loadu_ps(rstd + i);
    for (int64_t j = 0; j < d; ++j) {
      const __m256 gw = _mm256_mul_ps(_mm256_loadu_ps(g + j * ld + i), _mm256_set1_ps(w[j]));
      const __m256 t = _mm256_sub_ps(_mm256_sub_ps(gw, m1), _mm256_mul_ps(_mm256_loadu_ps(xhat + j * ld + i), m2));
      _mm256_storeu_ps(g + j * ld + i, _mm256_mul_ps(r, t));
    }
  }
}

#pragma GCC pop_options

}  // namespace

bool cpu_has_avx_fma() {
  static const bool has = __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
  return has;
}

const AttentionKernels& portable_attention_kernels() {
  static const AttentionKernels k{"portable",
                                  &gemm_rows_portable,
                                  &softmax_rows_portable,
                                  &softmax_backward_rows_portable,
                                  &layer_norm_cols_portable,
                                  &affine_cols_portable,
                                  &layer_norm_cols_backward_portable};
  return k;
}

const AttentionKernels& best_attention_kernels() {
  static const AttentionKernels avx{"avx+fma",
                                    &gemm_rows_avx,
                                    &softmax_rows_avx,
                                    &softmax_backward_rows_avx,
                                    &layer_norm_cols_avx,
                                    &affine_cols_avx,
                                    &layer_norm_cols_backward_avx};
  return cpu_has_avx_fma() ? avx : portable_attention_kernels();
}

}  // namespace efm::models::detail
