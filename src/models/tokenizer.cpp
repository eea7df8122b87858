#include "epilepsyfm/models/tokenizer.h"

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/init.h"
#include "models/detail/float32_scope.h"

namespace efm::models {

namespace F = torch::nn::functional;

TanhMlpImpl::TanhMlpImpl(int64_t in, int64_t hidden, int64_t out) {
  fc1 = register_module("fc1", torch::nn::Linear(in, hidden));
  fc2 = register_module("fc2", torch::nn::Linear(hidden, out));
  init_linear(fc1);
  init_linear(fc2);
}

torch::Tensor TanhMlpImpl::forward(const torch::Tensor& x) {
  return fc2(torch::tanh(fc1(x)));
}

void TokenizerOptions::validate() const {
  encoder_.validate();
  EFM_CHECK_ARG(decoder_depth_ >= 1, "tokenizer.decoder_depth ({}) must be >= 1", decoder_depth_);
}

TokenizerOptions tokenizer_preset(const std::string& size) {
  TokenizerOptions t;
  t.encoder(backbone_preset(size)
                .qkv_bias(kVqNspEncoder.qkv_bias)
                .qk_norm(kVqNspEncoder.qk_norm)
                .layer_scale_init(kVqNspEncoder.layer_scale_init)
                .pooling(kVqNspEncoder.pooling));
  const ModelSize& row = model_size(size);
  t.vq(VectorQuantizerOptions(row.codebook_size, row.code_dim));
  return t;
}

TokenizerDecoderImpl::TokenizerDecoderImpl(const BackboneOptions& enc, int64_t depth, int64_t code_dim) {
  const int64_t d = enc.embed_dim();
  input_proj = register_module("input_proj", torch::nn::Linear(code_dim, d));
  init_linear(input_proj);
  positions = register_module("positions", TokenPositions(enc.patch_embedding_options().positions()));
  blocks = register_module("blocks", make_transformer_blocks(enc.block_options(), depth, /*drop_path_rate=*/0.0));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-6)));
  amplitude_head = register_module("amplitude_head", TanhMlp(d, d, enc.patch_samples()));
  phase_head = register_module("phase_head", TanhMlp(d, d, enc.patch_samples()));
}

std::pair<torch::Tensor, torch::Tensor> TokenizerDecoderImpl::forward(const torch::Tensor& codes, const EegInput& input,
                                                                      const TokenGeometry& geometry) {
  auto x = positions(input_proj(codes), input, geometry);
  for (const auto& blk : *blocks) x = blk->as<BlockImpl>()->forward(x);
  x = norm(x).slice(/*dim=*/1, 1);
  return {amplitude_head(x), phase_head(x)};
}

NeuralTokenizerImpl::NeuralTokenizerImpl(TokenizerOptions options) : options_(std::move(options)) {
  options_.encoder().pooling(Pooling::cls);
  options_.validate();
  const int64_t d = options_.encoder().embed_dim();
  encoder = register_module("encoder", Backbone(options_.encoder()));
  encode_task_layer = register_module("encode_task_layer", TanhMlp(d, d, options_.vq().code_dim()));
  quantizer = register_module("quantizer", NormEMAVectorQuantizer(options_.vq()));
  decoder = register_module("decoder",
                            TokenizerDecoder(options_.encoder(), options_.decoder_depth(), options_.vq().code_dim()));
}

VqOutput NeuralTokenizerImpl::quantize(const EegInput& input, const TokenGeometry& geometry) {
  auto tokens = encoder->encode(encoder->embed(input, geometry));
  auto z = encode_task_layer(tokens.slice(/*dim=*/1, 1));  // patch tokens only
  return quantizer(z);
}

torch::Tensor NeuralTokenizerImpl::encode(const EegInput& input) {
  EFM_CHECK_ARG(quantizer->initialized(),
                "tokenizer: the codebook is not initialised (quantizer.initialized is false); load a trained tokenizer "
                "checkpoint before encoding labels");
  torch::NoGradGuard no_grad;
  detail::Float32Scope float32;  // codes as `tokenizer encode` gives them, also when pre-training autocasts
  const TokenGeometry g = encoder->check(input);
  return quantize(input, g).indices;
}

SpectralTargets NeuralTokenizerImpl::spectral_targets(const torch::Tensor& x, int64_t patch_samples) {
  EFM_CHECK_DATA(x.dim() == 3 && x.size(2) % patch_samples == 0,
                 "spectral targets: signal has shape {}; expected [batch, channels, multiple of {}]", shape_str(x),
                 patch_samples);
  torch::NoGradGuard no_grad;
  auto patches = x.reshape({x.size(0), -1, patch_samples});
  auto spec = torch::fft::fft(patches, /*n=*/std::nullopt, /*dim=*/-1);
  // LaBraM std_norm: mean and unbiased std over everything but the batch dimension.
  auto std_norm = [](const torch::Tensor& t) {
    auto mean = t.mean({1, 2}, /*keepdim=*/true);
    auto sd = t.std({1, 2}, /*unbiased=*/true, /*keepdim=*/true);
    return (t - mean) / sd;
  };
  return {std_norm(spec.abs()), std_norm(torch::angle(spec))};
}

TokenizerOutput NeuralTokenizerImpl::forward(const EegInput& input) {
  const TokenGeometry g = encoder->check(input);
  VqOutput q = quantize(input, g);
  auto [amp, phase] = decoder(q.z_q, input, g);
  const SpectralTargets target = spectral_targets(input.signal, options_.encoder().patch_samples());
  auto rec = [this](const torch::Tensor& a, const torch::Tensor& b) {
    return options_.reconstruction_loss() == ReconstructionLoss::mse ? F::mse_loss(a, b) : F::smooth_l1_loss(a, b);
  };
  TokenizerOutput out;
  out.commitment_loss = q.loss;
  out.amplitude_loss = rec(amp, target.amplitude);
  out.phase_loss = rec(phase, target.phase);
  out.loss = out.commitment_loss + out.amplitude_loss + out.phase_loss;
  out.codes = q.indices;
  out.amplitude = amp;
  out.phase = phase;
  return out;
}

}  // namespace efm::models
