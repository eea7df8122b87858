#pragma once
/// BEiT-v2-style transformer blocks as in LaBraM (modeling_finetune.py Attention/Mlp/Block):
///   x = x + DropPath(gamma_1 * Attn(LN(x)));  x = x + DropPath(gamma_2 * Mlp(LN(x)))
/// pre-LayerNorm (eps 1e-6); attention with optional LayerNorm on q and k per head ("QK-norm") and optional q/v
/// biases without a k bias; layer scale gamma (init 0.1; 0 disables it); GELU MLP; stochastic depth.
/// init_transformer_blocks() applies LaBraM's init: trunc_normal(0.02) Linear weights, zero biases, unit
/// LayerNorms, then attn.proj and mlp.fc2 weights divided by sqrt(2 * layer_id) (layer_id from 1).
/// Parameter names equal LaBraM's: blocks.<i>.norm1, .attn.qkv, .attn.q_bias, .attn.v_bias, .attn.q_norm,
/// .attn.k_norm, .attn.proj, .norm2, .mlp.fc1, .mlp.fc2, .gamma_1, .gamma_2.
#include <torch/torch.h>

#include <cstdint>

namespace efm::models {

struct BlockOptions {
  BlockOptions(int64_t dim, int64_t heads, int64_t ffn_dim) : dim_(dim), heads_(heads), ffn_dim_(ffn_dim) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(int64_t, ffn_dim);
  TORCH_ARG(bool, qkv_bias) = false;          ///< learnable q and v biases (k has none)
  TORCH_ARG(bool, qk_norm) = true;            ///< LayerNorm(head_dim) on q and k
  TORCH_ARG(double, layer_scale_init) = 0.1;  ///< gamma init; 0 = no layer scale
  TORCH_ARG(double, drop_path) = 0.0;         ///< stochastic depth probability of this block
  TORCH_ARG(double, dropout) = 0.0;           ///< after attn.proj and mlp.fc2
  TORCH_ARG(double, attn_dropout) = 0.0;      ///< on attention weights
  TORCH_ARG(double, norm_eps) = 1e-6;
};

/// Stochastic depth: zeroes whole samples (dim 0) with probability p in training and rescales the rest by 1/(1-p).
torch::Tensor drop_path(const torch::Tensor& x, double p, bool training);

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const BlockOptions& options);
  /// x [B, N, dim] -> [B, N, dim]
  torch::Tensor forward(const torch::Tensor& x);
  /// Attention weights [B, heads, N, N] (softmax rows), for inspection.
  torch::Tensor attention_weights(const torch::Tensor& x);

  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  torch::nn::LayerNorm q_norm{nullptr}, k_norm{nullptr};
  torch::Tensor q_bias, v_bias;

 private:
  /// q, k, v [B, H, N, hd] with q already scaled.
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> project(const torch::Tensor& x);
  /// The qkv Linear with the q and v biases (k has none): [B, N, dim] -> [B, N, 3 * dim].
  torch::Tensor qkv_linear(const torch::Tensor& x);
  int64_t heads_;
  int64_t head_dim_;
  double scale_;
  double attn_dropout_;
  double dropout_;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t dim, int64_t hidden, double dropout);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(Mlp);

class BlockImpl : public torch::nn::Module {
 public:
  explicit BlockImpl(const BlockOptions& options);
  /// x [B, N, dim] -> [B, N, dim]
  torch::Tensor forward(const torch::Tensor& x);
  const BlockOptions& options() const { return options_; }

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  Attention attn{nullptr};
  Mlp mlp{nullptr};
  torch::Tensor gamma_1, gamma_2;  ///< [dim], undefined without layer scale

 private:
  BlockOptions options_;
};
TORCH_MODULE(Block);

/// `depth` blocks with drop-path probabilities rising linearly from 0 to `drop_path_rate` (options.drop_path is
/// ignored), initialised by init_transformer_blocks.
torch::nn::ModuleList make_transformer_blocks(const BlockOptions& options, int64_t depth, double drop_path_rate);
/// LaBraM/BEiT init of a list of Blocks (see the file comment).
void init_transformer_blocks(torch::nn::ModuleList& blocks);

}  // namespace efm::models
