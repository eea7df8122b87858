#pragma once
// Two float32 primitives of the fused CPU attention (fused_attention.cpp), each in an AVX+FMA version and a portable
// version, chosen once at run time from the CPU's features:
//   gemm_rows:    C[m][0:cols] (+)= sum_k A(m, k) * B[k][0:cols]   (the attention products, per window and head)
//   softmax_rows: softmax of the first n entries of each row, the rest of the row (padding) set to 0
//   softmax_backward_rows: dS = P * (dP - rowsum(P * dP))
//   layer_norm_cols / layer_norm_cols_backward: LayerNorm over the d rows of each column of a [d][ld] buffer (the
//                 head-dim vectors of all tokens, stored transposed so that the tokens are the vector lanes)
// All pointers are raw row-major buffers; cols and ld are multiples of 8 (rows padded with zeros by the caller).
#include <cstdint>

namespace efm::models::detail {

/// A(m, k) = a[m * a_row + k * a_col], so A can be read transposed without a copy.
struct GemmRowsArgs {
  int64_t m = 0, k = 0, cols = 0;  ///< cols: multiple of 8
  const float* a = nullptr;
  int64_t a_row = 0, a_col = 0;
  const float* b = nullptr;  ///< [k][ldb], the first cols entries of each row used
  int64_t ldb = 0;
  float* c = nullptr;  ///< [m][ldc]
  int64_t ldc = 0;
  bool accumulate = false;  ///< C += A B instead of C = A B
};

struct AttentionKernels {
  const char* name;  ///< "avx+fma" or "portable"
  void (*gemm_rows)(const GemmRowsArgs& g);
  /// s[r * ld + j]: softmax over j < n (n >= 1) for each of `rows` rows; entries n <= j < ld set to 0.
  void (*softmax_rows)(float* s, int64_t rows, int64_t n, int64_t ld);
  /// p, ds: [rows][ld]; ds holds dP on entry and dS on return.
  void (*softmax_backward_rows)(const float* p, float* ds, int64_t rows, int64_t ld);
  /// In place on x [d][ld], per column i: y = scale * (w * (x - mean) * rstd + b) with mean and rstd over the d
  /// entries of the column; xhat ((x - mean) * rstd, [d][ld]) and rstd ([ld]) stored when not null.
  void (*layer_norm_cols)(float* x, int64_t d, int64_t ld, float eps, const float* w, const float* b, float scale,
                          float* xhat, float* rstd);
  /// y = scale * (w * xhat + b) into y [d][ld] from a saved xhat.
  void (*affine_cols)(const float* xhat, int64_t d, int64_t ld, const float* w, const float* b, float scale, float* y);
  /// In place on g [d][ld] (dL/dy on entry, dL/dx on return) for y = w * xhat + b; dw, db [d] accumulated.
  void (*layer_norm_cols_backward)(float* g, const float* xhat, const float* rstd, int64_t d, int64_t ld,
                                   const float* w, float* dw, float* db);
};

/// The AVX+FMA kernels when the CPU has both (checked once), otherwise the portable ones.
const AttentionKernels& best_attention_kernels();
/// The portable kernels (tests compare both versions).
const AttentionKernels& portable_attention_kernels();
/// True when this CPU runs the AVX+FMA kernels.
bool cpu_has_avx_fma();

}  // namespace efm::models::detail
