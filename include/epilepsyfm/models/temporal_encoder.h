#pragma once
/// Temporal encoder: LaBraM's TemporalConv, a small convolution stack applied to every 1-s patch.
///
///   Conv2d(1, oc, (1,15), stride (1,8), pad (0,7)) -> GroupNorm(4, oc) -> GELU        200 samples -> 25 steps
///   2 x [Conv2d(oc, oc, (1,3), pad (0,1)) -> GroupNorm(4, oc) -> GELU]
///   flatten per patch as (step, channel) -> 25*oc features (oc = 8/16/32 for base/large/huge: 200/400/800)
///
/// As in LaBraM the patches of one sample form one [1, N, P] image, so GroupNorm's statistics are taken over all
/// patches of a sample (not per patch): a token's features depend on its window's overall scale, and masking happens
/// after this encoder. Parameter names and shapes equal LaBraM's `patch_embed.conv1.weight` [oc, 1, 1, 15] etc.
///
///   TemporalEncoder enc(TemporalEncoderOptions().out_chans(8));
///   auto f = enc(patches);  // [B, N, 200] -> [B, N, 200]
#include <torch/torch.h>

#include <cstdint>

namespace efm::models {

struct TemporalEncoderOptions {
  TORCH_ARG(int64_t, patch_samples) = 200;  ///< P, samples per patch
  TORCH_ARG(int64_t, out_chans) = 8;        ///< convolution channels (multiple of 4: GroupNorm has 4 groups)
};

class TemporalEncoderImpl : public torch::nn::Module {
 public:
  explicit TemporalEncoderImpl(TemporalEncoderOptions options = {});
  /// @param patches [B, N, P] float32 (N tokens of P samples)
  /// @return [B, N, out_dim()]
  torch::Tensor forward(const torch::Tensor& patches);
  /// Features per patch: output_steps(P) * out_chans (200 for P 200, out_chans 8).
  int64_t out_dim() const { return output_steps(options_.patch_samples()) * options_.out_chans(); }
  /// Time steps after the stride-8 first convolution: (P - 1) / 8 + 1 (25 for P 200).
  static int64_t output_steps(int64_t patch_samples) { return (patch_samples + 2 * 7 - 15) / 8 + 1; }
  const TemporalEncoderOptions& options() const { return options_; }

 private:
  TemporalEncoderOptions options_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
};
TORCH_MODULE(TemporalEncoder);

}  // namespace efm::models
