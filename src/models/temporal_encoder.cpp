#include "epilepsyfm/models/temporal_encoder.h"

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/signal_spec.h"

namespace efm::models {

TemporalEncoderImpl::TemporalEncoderImpl(TemporalEncoderOptions options) : options_(options) {
  const int64_t oc = options_.out_chans();
  EFM_CHECK_ARG(oc > 0 && oc % 4 == 0,
                "TemporalEncoder: out_chans ({}) must be a positive multiple of 4 (GroupNorm "
                "uses 4 groups)",
                oc);
  EFM_CHECK_ARG(options_.patch_samples() >= 8, "TemporalEncoder: patch_samples ({}) must be >= 8",
                options_.patch_samples());
  // LaBraM modeling_finetune.py TemporalConv: kernel 15 stride 8 pad 7, then two kernel-3 pad-1 convolutions.
  conv1_ = register_module("conv1",
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(1, oc, {1, 15}).stride({1, 8}).padding({0, 7})));
  norm1_ = register_module("norm1", torch::nn::GroupNorm(4, oc));
  conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(oc, oc, {1, 3}).padding({0, 1})));
  norm2_ = register_module("norm2", torch::nn::GroupNorm(4, oc));
  conv3_ = register_module("conv3", torch::nn::Conv2d(torch::nn::Conv2dOptions(oc, oc, {1, 3}).padding({0, 1})));
  norm3_ = register_module("norm3", torch::nn::GroupNorm(4, oc));
}

torch::Tensor TemporalEncoderImpl::forward(const torch::Tensor& patches) {
  EFM_CHECK_DATA(patches.dim() == 3 && patches.size(2) == options_.patch_samples(),
                 "TemporalEncoder: patches have shape {}; expected [batch, tokens, {}]", shape_str(patches),
                 options_.patch_samples());
  const int64_t b = patches.size(0);
  const int64_t n = patches.size(1);
  auto x = patches.unsqueeze(1);  // [B, 1, N, P]
  x = torch::gelu(norm1_(conv1_(x)));
  x = torch::gelu(norm2_(conv2_(x)));
  x = torch::gelu(norm3_(conv3_(x)));  // [B, oc, N, S]
  // 'B C N S -> B N (S C)': step-major, channel-minor, as LaBraM.
  return x.permute({0, 2, 3, 1}).reshape({b, n, out_dim()});
}

}  // namespace efm::models
