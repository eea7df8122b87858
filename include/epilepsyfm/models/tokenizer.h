#pragma once
/// The neural tokenizer (LaBraM VQ-NSP, used by EpilepsyFM): EEG patches -> discrete codes, trained by predicting
/// each patch's Fourier spectrum from its code.
///
///   encoder      Backbone (patch embedding + blocks + LayerNorm) -> patch tokens [B, N, d]
///   task layer   Linear(d, d) -> Tanh -> Linear(d, code_dim)             ("encode_task_layer")
///   quantizer    NormEMAVectorQuantizer (l2-normalised, EMA, k-means init; default 8192 x 64)
///   decoder      Linear(code_dim, d) + spatial/time embeddings + CLS -> 3 blocks -> LayerNorm -> patch tokens
///   heads        amplitude and phase: Linear(d, d) -> Tanh -> Linear(d, P)
///   targets      full FFT of each P-sample patch (P = 200 bins, not rfft): |X| and angle(X), each standardised
///                per window over (tokens, bins) with the unbiased std (LaBraM std_norm)
///   loss         commitment + MSE(amplitude) + MSE(phase), parts returned separately
///
/// Encoder defaults follow LaBraM's VQ-NSP (get_model_default_params): q/v biases on, no QK-norm, no layer scale;
/// the decoder shares the encoder's width, heads and FFN. The encoder pools with "cls" only so that it carries no
/// unused fc_norm; the tokens are what the tokenizer uses.
///
///   NeuralTokenizer tok(tokenizer_preset("base"));
///   auto out = tok->forward(batch);            // training: out.loss.backward()
///   tok->eval(); auto codes = tok->encode(batch);   // [B, C*T] labels for masked pre-training
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/models/vq.h"

namespace efm::models {

/// Linear(in, hidden) -> Tanh -> Linear(hidden, out), trunc_normal(0.02) weights, zero biases.
class TanhMlpImpl : public torch::nn::Module {
 public:
  TanhMlpImpl(int64_t in, int64_t hidden, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(TanhMlp);

/// Loss between the decoder's and the target spectra (LaBraM option).
enum class ReconstructionLoss { mse, smooth_l1 };
inline constexpr EnumNames<ReconstructionLoss, 2> kReconstructionLossNames{
    {{ReconstructionLoss::mse, "mse"}, {ReconstructionLoss::smooth_l1, "smooth_l1"}}};
constexpr const auto& enum_names(ReconstructionLoss) {
  return kReconstructionLossNames;
}

/// Options of the neural tokenizer. Example:
///   NeuralTokenizer tok(tokenizer_preset("tiny").decoder_depth(1));
struct TokenizerOptions {
  void validate() const;

  TORCH_ARG(BackboneOptions, encoder);  ///< encoder backbone (its pooling is forced to cls)
  TORCH_ARG(int64_t, decoder_depth) = 3;
  TORCH_ARG(VectorQuantizerOptions, vq);  ///< codebook size, code_dim, EMA, k-means, dead codes
  TORCH_ARG(ReconstructionLoss, reconstruction_loss) = ReconstructionLoss::mse;
};

/// What the tokenizer preset changes in the backbone preset of the same size: LaBraM modeling_vqnsp.py
/// get_model_default_params (qkv_bias=True, init_values=0., no qk_norm) and CLS pooling. The codebook comes from
/// the size's row of kModelSizes (model_sizes.h).
struct TokenizerEncoderPreset {
  bool qkv_bias;
  bool qk_norm;
  double layer_scale_init;
  Pooling pooling;
};
inline constexpr TokenizerEncoderPreset kVqNspEncoder{/*qkv_bias=*/true, /*qk_norm=*/false,
                                                      /*layer_scale_init=*/0.0, Pooling::cls};

/// Encoder preset by backbone size name with kVqNspEncoder's flags; the size's codebook (model_sizes.h).
TokenizerOptions tokenizer_preset(const std::string& size);

struct TokenizerOutput {
  torch::Tensor loss;             ///< [] commitment + amplitude + phase
  torch::Tensor commitment_loss;  ///< []
  torch::Tensor amplitude_loss;   ///< []
  torch::Tensor phase_loss;       ///< []
  torch::Tensor codes;            ///< [B, N] int64
  torch::Tensor amplitude;        ///< [B, N, P] predicted (standardised) amplitude
  torch::Tensor phase;            ///< [B, N, P] predicted (standardised) phase
};

struct SpectralTargets {
  torch::Tensor amplitude;  ///< [B, N, P] standardised |FFT|
  torch::Tensor phase;      ///< [B, N, P] standardised angle(FFT)
};

class TokenizerDecoderImpl : public torch::nn::Module {
 public:
  TokenizerDecoderImpl(const BackboneOptions& encoder, int64_t depth, int64_t code_dim);
  /// @param codes [B, N, code_dim] quantised vectors -> predicted (amplitude, phase), each [B, N, P]
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& codes, const EegInput& input,
                                                  const TokenGeometry& geometry);

  torch::nn::Linear input_proj{nullptr};
  TokenPositions positions{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  TanhMlp amplitude_head{nullptr}, phase_head{nullptr};
};
TORCH_MODULE(TokenizerDecoder);

class NeuralTokenizerImpl : public torch::nn::Module {
 public:
  explicit NeuralTokenizerImpl(TokenizerOptions options);

  /// Full training pass (the quantizer updates its codebook when training).
  TokenizerOutput forward(const EegInput& input);
  /// Encoder + task layer + quantizer: VqOutput with z_q [B, N, code_dim] and indices [B, N].
  VqOutput quantize(const EegInput& input, const TokenGeometry& geometry);
  /// Code ids [B, C*T] int64 without gradients (call eval() first so the codebook stays fixed), always computed in
  /// float32 (autocast and TF32 off in this call, whatever the caller's precision): pre-training labels equal the
  /// codes of `tokenizer encode`. Throws ArgumentError when the codebook was never initialised (an untrained
  /// tokenizer would yield meaningless labels).
  torch::Tensor encode(const EegInput& input);
  /// Standardised FFT amplitude and phase targets of x [B, C, T*P].
  static SpectralTargets spectral_targets(const torch::Tensor& x, int64_t patch_samples);

  const TokenizerOptions& options() const { return options_; }

  Backbone encoder{nullptr};
  TanhMlp encode_task_layer{nullptr};
  NormEMAVectorQuantizer quantizer{nullptr};
  TokenizerDecoder decoder{nullptr};

 private:
  TokenizerOptions options_;
};
TORCH_MODULE(NeuralTokenizer);

}  // namespace efm::models
