#include "epilepsyfm/models/spectral_encoder.h"

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/init.h"
#include "epilepsyfm/models/signal_spec.h"

namespace efm::models {

namespace F = torch::nn::functional;

const std::array<double, 8>& daubechies4() {
  // scipy.signal.daub(4), SciPy 1.10 (= PyWavelets db4 rec_lo).
  static const std::array<double, 8> h{0.23037781330889648,   0.7148465705529157,   0.6308807679298589,
                                       -0.027983769416859747, -0.187034811719093,   0.030841381835560656,
                                       0.032883011666885176,  -0.010597401785069021};
  return h;
}

WaveletPacketImpl::WaveletPacketImpl(WaveletPacketOptions options) : options_(options) {
  EFM_CHECK_ARG(options_.levels() >= 1 && options_.levels() <= 8, "WaveletPacket: levels ({}) must be in [1, 8]",
                options_.levels());
  const auto& h = daubechies4();
  auto init = torch::empty({2, 1, 8});
  for (int k = 0; k < 8; ++k) {
    init[0][0][k] = h[k];
    init[1][0][k] = (k % 2 == 0 ? 1.0 : -1.0) * h[7 - k];
  }
  for (int64_t l = 0; l < options_.levels(); ++l) {
    const std::string name = "level" + std::to_string(l);
    filters_.push_back(options_.learnable() ? register_parameter(name, init.clone())
                                            : register_buffer(name, init.clone()));
  }
}

int64_t WaveletPacketImpl::band_length(int64_t length) const {
  for (int64_t l = 0; l < options_.levels(); ++l) length = (length + 1) / 2;
  return length;
}

std::vector<int64_t> WaveletPacketImpl::frequency_order() const {
  std::vector<int64_t> order(static_cast<size_t>(n_bands()));
  for (int64_t i = 0; i < n_bands(); ++i) order[static_cast<size_t>(i)] = i ^ (i >> 1);  // Gray code
  return order;
}

torch::Tensor WaveletPacketImpl::forward(const torch::Tensor& x) {
  EFM_CHECK_DATA(x.dim() == 2, "WaveletPacket: input has shape {}; expected [rows, samples]", shape_str(x));
  const int64_t m = x.size(0);
  int64_t len = x.size(1);
  EFM_CHECK_DATA(len >> (options_.levels() - 1) >= 4,
                 "WaveletPacket: {} samples are too few for {} levels (the deepest split needs >= 4 samples)", len,
                 options_.levels());
  auto nodes = x.reshape({m, 1, len});
  for (const auto& w : filters_) {
    const int64_t n_nodes = nodes.size(1);
    // Periodization: circular padding of 3 (+1 when odd) so a node of L samples yields ceil(L/2) per band.
    auto flat = nodes.reshape({m * n_nodes, 1, len});
    flat = F::pad(flat, F::PadFuncOptions({3, 3 + (len % 2)}).mode(torch::kCircular));
    auto out = F::conv1d(flat, w, F::Conv1dFuncOptions().stride(2));  // [M*nodes, 2, ceil(L/2)]
    len = out.size(2);
    nodes = out.reshape({m, n_nodes * 2, len});  // children of node j at 2j (A) and 2j+1 (D)
  }
  return nodes;
}

SpectralEncoderImpl::SpectralEncoderImpl(SpectralEncoderOptions options) : options_(std::move(options)) {
  EFM_CHECK_ARG(options_.embed_dim() > 0, "SpectralEncoder: embed_dim ({}) must be > 0", options_.embed_dim());
  EFM_CHECK_ARG(options_.use_wavelet() || options_.use_fft(),
                "SpectralEncoder: at least one of use_wavelet, use_fft must be true");
  const int64_t d = options_.embed_dim();
  if (options_.use_wavelet()) {
    wavelet = register_module("wavelet", WaveletPacket(WaveletPacketOptions().levels(options_.wavelet_levels())));
    const int64_t band_len = wavelet->band_length(options_.patch_samples());
    EFM_CHECK_ARG(options_.wavelet_pool_bins() >= 1 && options_.wavelet_pool_bins() <= band_len,
                  "SpectralEncoder: wavelet_pool_bins ({}) must be in [1, {}] (samples per band at {} levels)",
                  options_.wavelet_pool_bins(), band_len, options_.wavelet_levels());
    EFM_CHECK_ARG(options_.patch_samples() >> (options_.wavelet_levels() - 1) >= 4,
                  "SpectralEncoder: wavelet_levels ({}) too deep for {}-sample patches", options_.wavelet_levels(),
                  options_.patch_samples());
    wavelet_proj_ =
        register_module("wavelet_proj", torch::nn::Linear(wavelet->n_bands() * options_.wavelet_pool_bins(), d));
    init_linear(wavelet_proj_);
  }
  if (options_.use_fft()) {
    fft_proj_ = register_module("fft_proj", torch::nn::Linear(options_.patch_samples() / 2 + 1, d));
    init_linear(fft_proj_);
  }
}

torch::Tensor SpectralEncoderImpl::rfft_magnitude(const torch::Tensor& patches) {
  return torch::fft::rfft(patches, /*n=*/std::nullopt, /*dim=*/-1, /*norm=*/"forward").abs();
}

torch::Tensor SpectralEncoderImpl::wavelet_features(const torch::Tensor& patches) {
  EFM_CHECK_STATE(options_.use_wavelet(), "SpectralEncoder: wavelet branch disabled");
  const int64_t b = patches.size(0);
  const int64_t n = patches.size(1);
  auto bands = wavelet(patches.reshape({b * n, patches.size(2)}));  // [BN, nb, len]
  auto pooled = F::adaptive_avg_pool1d(bands.abs(), F::AdaptiveAvgPool1dFuncOptions(options_.wavelet_pool_bins()));
  return pooled.reshape({b, n, -1});
}

torch::Tensor SpectralEncoderImpl::forward(const torch::Tensor& patches) {
  EFM_CHECK_DATA(patches.dim() == 3 && patches.size(2) == options_.patch_samples(),
                 "SpectralEncoder: patches have shape {}; expected [batch, tokens, {}]", shape_str(patches),
                 options_.patch_samples());
  torch::Tensor out;
  if (options_.use_fft()) out = fft_proj_(rfft_magnitude(patches));
  if (options_.use_wavelet()) {
    auto w = wavelet_proj_(wavelet_features(patches));
    out = out.defined() ? out + w : w;
  }
  return out;
}

}  // namespace efm::models
