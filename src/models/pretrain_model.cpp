#include "epilepsyfm/models/pretrain_model.h"

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/init.h"
#include "models/detail/cross_entropy.h"

namespace efm::models {

MaskedEegModelImpl::MaskedEegModelImpl(MaskedEegModelOptions options) : options_(std::move(options)) {
  EFM_CHECK_ARG(options_.codebook_size() >= 2, "pretrain: codebook_size ({}) must be >= 2", options_.codebook_size());
  const int64_t d = options_.backbone().embed_dim();
  backbone = register_module("backbone", Backbone(options_.backbone()));
  mask_token = register_parameter("mask_token", torch::empty({1, 1, d}));
  trunc_normal_(mask_token, 0.02);
  lm_head = register_module("lm_head", torch::nn::Linear(d, options_.codebook_size()));
  init_linear(lm_head);
}

torch::Tensor MaskedEegModelImpl::features(const EegInput& input, const torch::Tensor& mask) {
  const TokenGeometry g = backbone->check(input);
  return backbone->encode(backbone->embed(input, g, mask, mask_token));
}

torch::Tensor MaskedEegModelImpl::forward(const EegInput& input, const torch::Tensor& mask) {
  auto x = features(input, mask).slice(/*dim=*/1, 1);
  auto m = mask.to(x.device());
  return lm_head(x.index({m}));
}

namespace {

torch::Tensor cat_twice(const torch::Tensor& t) {
  return t.defined() ? torch::cat({t, t}, 0) : t;
}

}  // namespace

MemLoss MaskedEegModelImpl::symmetric_loss(const EegInput& input, const torch::Tensor& codes,
                                           const torch::Tensor& mask) {
  const TokenGeometry g = backbone->check(input);
  EFM_CHECK_DATA(codes.dim() == 2 && codes.size(0) == g.batch && codes.size(1) == g.tokens(),
                 "codes have shape {} but the input has {} windows of {} tokens; expected [{}, {}]", shape_str(codes),
                 g.batch, g.tokens(), g.batch, g.tokens());
  EFM_CHECK_DATA(codes.scalar_type() == torch::kLong, "codes have dtype {}; expected int64",
                 dtype_str(codes.scalar_type()));
  EFM_CHECK_DATA(
      mask.dim() == 2 && mask.size(0) == g.batch && mask.size(1) == g.tokens() && mask.scalar_type() == torch::kBool,
      "mask has shape {} ({}); expected [{}, {}] bool", shape_str(mask), dtype_str(mask.scalar_type()), g.batch,
      g.tokens());
  {
    const int64_t lo = codes.min().item<int64_t>();
    const int64_t hi = codes.max().item<int64_t>();
    EFM_CHECK_DATA(lo >= 0 && hi < options_.codebook_size(),
                   "codes contain {}, outside [0, {}): the tokenizer's codebook size must equal the model's "
                   "codebook_size",
                   lo < 0 ? lo : hi, options_.codebook_size());
  }
  // Both passes in one batch of 2B windows: [x; x] with masks [M; ~M].
  const auto device = input.signal.device();
  auto m = mask.to(device);
  auto both_mask = torch::cat({m, m.logical_not()}, 0);
  EegInput both;
  both.signal = cat_twice(input.signal);
  both.channel_ids = input.channel_ids.dim() == 1 ? input.channel_ids : cat_twice(input.channel_ids);
  both.region_ids =
      (!input.region_ids.defined() || input.region_ids.dim() == 1) ? input.region_ids : cat_twice(input.region_ids);
  both.coords = (!input.coords.defined() || input.coords.dim() == 2) ? input.coords : cat_twice(input.coords);
  // The content features (TemporalConv, spectral branch, fusion) do not depend on the mask: compute them once for
  // the B windows and share them between both passes (their gradients add up), instead of twice for [x; x].
  const TokenGeometry g2{2 * g.batch, g.channels, g.patches};
  auto content = backbone->patch_embed->features(input, g);
  auto tokens = backbone->embed_features(torch::cat({content, content}, 0), both, g2, both_mask, mask_token);
  auto x = backbone->encode(tokens).slice(/*dim=*/1, 1);  // [2B, N, d]
  auto logits = lm_head(x.index({both_mask}));            // [B*N, K]: first the M tokens, then the ~M tokens
  auto labels = torch::cat({codes.to(device), codes.to(device)}, 0).index({both_mask});
  auto [ce, correct] = detail::cross_entropy_with_accuracy(logits, labels);

  MemLoss out;
  out.n_masked = m.sum().item<int64_t>();
  const int64_t total = g.batch * g.tokens();
  const int64_t n_sym = total - out.n_masked;
  auto zero = torch::zeros({}, logits.options());
  out.loss_masked = out.n_masked > 0 ? ce.slice(0, 0, out.n_masked).mean() : zero;
  out.loss_symmetric = n_sym > 0 ? ce.slice(0, out.n_masked).mean() : zero;
  out.loss = out.loss_masked + out.loss_symmetric;
  if (out.n_masked > 0) out.accuracy = correct.slice(0, 0, out.n_masked).mean().item<double>();
  if (n_sym > 0) out.accuracy_symmetric = correct.slice(0, out.n_masked).mean().item<double>();
  return out;
}

}  // namespace efm::models
