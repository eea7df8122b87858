#include "epilepsyfm/models/transformer.h"

#include <cmath>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/init.h"
#include "models/detail/fused_attention.h"

namespace efm::models {

namespace F = torch::nn::functional;

torch::Tensor drop_path(const torch::Tensor& x, double p, bool training) {
  if (p <= 0.0 || !training) return x;
  const double keep = 1.0 - p;
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  auto mask = torch::empty(shape, x.options()).bernoulli_(keep);
  return x * mask.div_(keep);
}

AttentionImpl::AttentionImpl(const BlockOptions& o)
    : heads_(o.heads()),
      head_dim_(o.dim() / std::max<int64_t>(o.heads(), 1)),
      scale_(0.0),
      attn_dropout_(o.attn_dropout()),
      dropout_(o.dropout()) {
  EFM_CHECK_ARG(o.heads() > 0 && o.dim() % o.heads() == 0, "embed_dim ({}) must be divisible by n_heads ({})", o.dim(),
                o.heads());
  scale_ = 1.0 / std::sqrt(static_cast<double>(head_dim_));
  qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(o.dim(), 3 * o.dim()).bias(false)));
  if (o.qkv_bias()) {
    q_bias = register_parameter("q_bias", torch::zeros({o.dim()}));
    v_bias = register_parameter("v_bias", torch::zeros({o.dim()}));
  }
  if (o.qk_norm()) {
    q_norm =
        register_module("q_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({head_dim_}).eps(o.norm_eps())));
    k_norm =
        register_module("k_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({head_dim_}).eps(o.norm_eps())));
  }
  proj = register_module("proj", torch::nn::Linear(o.dim(), o.dim()));
}

torch::Tensor AttentionImpl::qkv_linear(const torch::Tensor& x) {
  torch::Tensor bias;
  if (q_bias.defined()) bias = torch::cat({q_bias, torch::zeros_like(v_bias), v_bias});
  return torch::linear(x, qkv->weight, bias);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> AttentionImpl::project(const torch::Tensor& x) {
  const int64_t b = x.size(0);
  const int64_t n = x.size(1);
  auto qkv_out = qkv_linear(x).view({b, n, 3, heads_, head_dim_}).permute({2, 0, 3, 1, 4});
  auto q = qkv_out[0];
  auto k = qkv_out[1];
  auto v = qkv_out[2];
  if (q_norm) {
    q = q_norm(q);
    k = k_norm(k);
  }
  return {q * scale_, k, v};
}

torch::Tensor AttentionImpl::attention_weights(const torch::Tensor& x) {
  auto [q, k, v] = project(x);
  (void)v;
  return torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1);
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x) {
  detail::FusedAttentionOptions o;
  o.heads = heads_;
  o.scale = scale_;
  if (q_norm) {
    o.eps = q_norm->options.eps();
    o.q_weight = q_norm->weight, o.q_bias = q_norm->bias, o.k_weight = k_norm->weight, o.k_bias = k_norm->bias;
  }
  const bool attn_dropout = attn_dropout_ > 0.0 && is_training();
  // One CPU kernel per window and head where it applies (models/detail/fused_attention.h), else LibTorch ops. The
  // projection decides: under bf16 autocast a float32 x gives a bfloat16 qkv, which the kernel does not take.
  const torch::Tensor qkv = qkv_linear(x);
  auto out = !attn_dropout && detail::fused_attention_applies(qkv)
                 ? detail::fused_attention(qkv, o)
                 : detail::attention_ops(qkv, o, attn_dropout_, is_training());
  out = proj(out);
  if (dropout_ > 0.0) out = F::dropout(out, F::DropoutFuncOptions().p(dropout_).training(is_training()));
  return out;
}

MlpImpl::MlpImpl(int64_t dim, int64_t hidden, double dropout) : dropout_(dropout) {
  EFM_CHECK_ARG(hidden > 0, "ffn_dim ({}) must be > 0", hidden);
  fc1 = register_module("fc1", torch::nn::Linear(dim, hidden));
  fc2 = register_module("fc2", torch::nn::Linear(hidden, dim));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  // LaBraM Mlp: fc1 -> GELU -> fc2 -> dropout (no dropout between, as its comment notes for BERT).
  auto y = fc2(torch::gelu(fc1(x)));
  if (dropout_ > 0.0) y = F::dropout(y, F::DropoutFuncOptions().p(dropout_).training(is_training()));
  return y;
}

BlockImpl::BlockImpl(const BlockOptions& o) : options_(o) {
  EFM_CHECK_ARG(o.drop_path() >= 0.0 && o.drop_path() < 1.0, "drop_path ({}) must be in [0, 1)", o.drop_path());
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()}).eps(o.norm_eps())));
  attn = register_module("attn", Attention(o));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()}).eps(o.norm_eps())));
  mlp = register_module("mlp", Mlp(o.dim(), o.ffn_dim(), o.dropout()));
  if (o.layer_scale_init() > 0.0) {
    gamma_1 = register_parameter("gamma_1", torch::full({o.dim()}, o.layer_scale_init()));
    gamma_2 = register_parameter("gamma_2", torch::full({o.dim()}, o.layer_scale_init()));
  }
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x) {
  const double p = options_.drop_path();
  const bool train = is_training();
  auto a = attn(norm1(x));
  auto y = x + drop_path(gamma_1.defined() ? gamma_1 * a : a, p, train);
  auto m = mlp(norm2(y));
  return y + drop_path(gamma_2.defined() ? gamma_2 * m : m, p, train);
}

torch::nn::ModuleList make_transformer_blocks(const BlockOptions& options, int64_t depth, double drop_path_rate) {
  EFM_CHECK_ARG(depth >= 1, "depth ({}) must be >= 1", depth);
  EFM_CHECK_ARG(drop_path_rate >= 0.0 && drop_path_rate < 1.0, "drop_path_rate ({}) must be in [0, 1)", drop_path_rate);
  torch::nn::ModuleList blocks;
  for (int64_t i = 0; i < depth; ++i) {
    // timm/LaBraM stochastic depth decay rule: linspace(0, rate, depth).
    const double p = depth > 1 ? drop_path_rate * static_cast<double>(i) / static_cast<double>(depth - 1) : 0.0;
    blocks->push_back(Block(BlockOptions(options).drop_path(p)));
  }
  init_transformer_blocks(blocks);
  return blocks;
}

void init_transformer_blocks(torch::nn::ModuleList& blocks) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < blocks->size(); ++i) {
    auto blk = blocks->ptr<BlockImpl>(i);
    for (auto& m : blk->modules(/*include_self=*/false)) {
      if (auto* lin = m->as<torch::nn::Linear>()) {
        trunc_normal_(lin->weight, 0.02);
        if (lin->bias.defined()) lin->bias.zero_();
      } else if (auto* ln = m->as<torch::nn::LayerNorm>()) {
        ln->weight.fill_(1.0);
        ln->bias.zero_();
      }
    }
    // LaBraM fix_init_weight: rescale by 1/sqrt(2 * layer_id), layer_id = i + 1.
    const double s = std::sqrt(2.0 * static_cast<double>(i + 1));
    blk->attn->proj->weight.div_(s);
    blk->mlp->fc2->weight.div_(s);
  }
}

}  // namespace efm::models
