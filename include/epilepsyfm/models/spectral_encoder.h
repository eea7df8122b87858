#pragma once
/// Spectral encoder (EpilepsyFM): per 1-s patch,
///  (a) a wavelet-packet convolution branch: a learnable two-band filter bank (approximation = low-pass, detail =
///      high-pass, stride 2) applied recursively to every node for `levels` levels (a full packet tree, 2^levels
///      bands of P / 2^levels samples), initialised from the Daubechies-4 filters; the mean |coefficient| of each
///      band over `pool_bins` equal time segments is projected by Linear(2^levels * pool_bins, d);
///  (b) the |rFFT| magnitude of the patch (P/2 + 1 = 101 bins, norm "forward": a unit-amplitude sinusoid at bin k
///      gives 0.5 at k) projected by Linear(P/2 + 1, d) (as CBraMod's spectral add-in);
/// and returns (a) + (b). PatchEmbedding fuses this with the temporal features (concatenate -> Linear to d).
///
/// The ICLR-2025 EpilepsyFM text describes approximation/detail branches y_A(t), y_D(t) (after Wang et al. 2021)
/// but publishes no code; the packet depth, pooling and sum of (a) and (b) are this project's choices.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <vector>

namespace efm::models {

/// Daubechies-4 scaling (low-pass reconstruction) filter h[0..7], sum sqrt(2), unit energy.
/// Values: scipy.signal.daub(4) (SciPy 1.10); equal to PyWavelets' db4 rec_lo (Daubechies 1992, Table 6.1).
const std::array<double, 8>& daubechies4();

struct WaveletPacketOptions {
  TORCH_ARG(int64_t, levels) = 4;     ///< tree depth: 2^levels bands
  TORCH_ARG(bool, learnable) = true;  ///< filters are parameters (else fixed buffers)
};

/// Full wavelet-packet decomposition with one learnable (low, high) filter pair per level, shared by the nodes of
/// that level. Each split: circular ("periodization") padding, cross-correlation with [h; g], stride 2, so a node of
/// L samples gives two of ceil(L/2). Torch convolution is cross-correlation, so the taps are stored as the
/// reconstruction filters: low = h, high[k] = (-1)^k h[7-k]; that is convolution with PyWavelets' dec_lo/dec_hi.
class WaveletPacketImpl : public torch::nn::Module {
 public:
  explicit WaveletPacketImpl(WaveletPacketOptions options = {});
  /// @param x [M, L] float32 (L >= 4 * 2^(levels-1))
  /// @return [M, 2^levels, band_length(L)] in natural (Paley) order: band index bits from the root, 0 = low
  ///         (approximation), 1 = high (detail); e.g. levels 2: AA, AD, DA, DD.
  torch::Tensor forward(const torch::Tensor& x);
  int64_t band_length(int64_t length) const;
  int64_t n_bands() const { return int64_t{1} << options_.levels(); }
  /// frequency_order()[i] = natural band index of the i-th lowest frequency band at initialisation (Gray code:
  /// the high-pass branch mirrors the spectrum). Levels 2: {0, 1, 3, 2} = AA, AD, DD, DA.
  std::vector<int64_t> frequency_order() const;
  const WaveletPacketOptions& options() const { return options_; }

 private:
  WaveletPacketOptions options_;
  std::vector<torch::Tensor> filters_;  ///< per level [2, 1, 8]: rows (low, high)
};
TORCH_MODULE(WaveletPacket);

struct SpectralEncoderOptions {
  explicit SpectralEncoderOptions(int64_t embed_dim) : embed_dim_(embed_dim) {}
  TORCH_ARG(int64_t, embed_dim);              ///< d, output features per patch
  TORCH_ARG(int64_t, patch_samples) = 200;    ///< P
  TORCH_ARG(bool, use_wavelet) = true;        ///< branch (a)
  TORCH_ARG(int64_t, wavelet_levels) = 4;     ///< 16 bands of 6.25 Hz at 200 Hz
  TORCH_ARG(int64_t, wavelet_pool_bins) = 4;  ///< time segments pooled per band
  TORCH_ARG(bool, use_fft) = true;            ///< branch (b)
};

class SpectralEncoderImpl : public torch::nn::Module {
 public:
  explicit SpectralEncoderImpl(SpectralEncoderOptions options);
  /// @param patches [B, N, P] float32
  /// @return [B, N, embed_dim]
  torch::Tensor forward(const torch::Tensor& patches);
  /// |rfft(patches, norm="forward")| over the last dimension: [..., P] -> [..., P/2 + 1].
  static torch::Tensor rfft_magnitude(const torch::Tensor& patches);
  /// Pooled wavelet features [B, N, 2^levels * pool_bins] (band-major), before projection.
  torch::Tensor wavelet_features(const torch::Tensor& patches);
  const SpectralEncoderOptions& options() const { return options_; }
  WaveletPacket wavelet{nullptr};

 private:
  SpectralEncoderOptions options_;
  torch::nn::Linear wavelet_proj_{nullptr};
  torch::nn::Linear fft_proj_{nullptr};
};
TORCH_MODULE(SpectralEncoder);

}  // namespace efm::models
