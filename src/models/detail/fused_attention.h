#pragma once
// Fused multi-head self-attention for float32 on CPU, with its backward, as one autograd node:
//   per window b and head h:  q, k, v = qkv[b, :, 0|1|2, h, :]
//                             q' = scale * LN_q(q),  k' = LN_k(k)          (LN over head_dim; skipped without QK-norm)
//                             P = softmax(q' k'^T) (rows),  out[b, :, h, :] = P v
// The same function as Attention's LibTorch-op path (models/transformer.cpp), computed per (window, head) in
// cache-sized buffers, windows x heads spread over the intra-op threads: no [B, H, N, hd] permuted copies and one pass
// for LayerNorm, scores and softmax. Why it exists next to at::scaled_dot_product_attention: for LaBraM's short
// sequences (93 tokens x head_dim 20) the built-in path (QK LayerNorm on permuted views, then SDPA) is several times
// slower on the CPU, forward and backward; bench_train_step's kernels phase measures both in one run
// (bench/train_step/README.md). Results are independent of the thread count.
// Backward (for P = softmax(S), dS = P * (dP - rowsum(dO * out))) keeps P [B, H, N, N_pad] from the forward.
// No double backward.
#include <torch/torch.h>

#include "models/detail/attention_kernel.h"

namespace efm::models::detail {

struct FusedAttentionOptions {
  int64_t heads = 1;
  double scale = 1.0;  ///< multiplies q after its LayerNorm (1/sqrt(head_dim) in Attention)
  double eps = 1e-6;   ///< LayerNorm epsilon
  /// QK-norm affine parameters [head_dim]; all four undefined = no QK-norm.
  torch::Tensor q_weight, q_bias, k_weight, k_bias;
};

/// @param qkv [B, N, 3 * heads * head_dim] float32 CPU: q | k | v, each heads x head_dim (the qkv Linear's output)
/// @return    [B, N, heads * head_dim]
torch::Tensor fused_attention(const torch::Tensor& qkv, const FusedAttentionOptions& options,
                              const AttentionKernels& kernels = best_attention_kernels());

/// The same function with LibTorch ops, QK LayerNorm then at::scaled_dot_product_attention (any device and dtype;
/// flash/memory-efficient kernels on CUDA): Attention's path where the fused kernel does not apply (GPUs, bf16,
/// attention dropout), and the baseline of bench_train_step's kernels phase. Dropout of probability `attn_dropout` on
/// the attention weights when `training`.
torch::Tensor attention_ops(const torch::Tensor& qkv, const FusedAttentionOptions& options, double attn_dropout = 0.0,
                            bool training = false);

/// How many distinct intra-op threads an at::parallel_for over `tasks` items, called from this file, ran on: guards
/// the build setting that compiles this file with OpenMP (without it the loop silently runs on one thread).
int parallel_for_threads_used(int64_t tasks);

/// False when EPILEPSYFM_ATTENTION=aten (read once): the LibTorch-op path everywhere, for comparisons and debugging.
bool fused_attention_enabled();
/// True where fused_attention applies to the projected `qkv`: enabled, and qkv is float32 on the CPU (not under bf16
/// autocast, which makes the projection bfloat16).
bool fused_attention_applies(const torch::Tensor& qkv);

}  // namespace efm::models::detail
