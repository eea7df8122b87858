#pragma once
// Small fixtures shared by the models tests.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/models/signal_spec.h"
#include "epilepsyfm/models/tokenizer.h"

namespace efm::models::test {

/// A very small backbone (d 32, 2 layers) for fast tests.
inline BackboneOptions micro_options() {
  BackboneOptions o = backbone_preset("tiny");
  o.embed_dim(32);
  o.depth(2);
  o.heads(2);
  o.ffn_dim(64);
  o.max_patches(16);
  o.n_electrodes(32);
  o.wavelet_levels(3);
  o.wavelet_pool_bins(2);
  return o;
}

/// A tokenizer on the micro backbone: 1 decoder block, 16 codes of dimension 8.
inline TokenizerOptions micro_tokenizer() {
  TokenizerOptions o = tokenizer_preset("tiny");
  const BackboneOptions m = micro_options();
  o.encoder().embed_dim(m.embed_dim());
  o.encoder().depth(m.depth());
  o.encoder().heads(m.heads());
  o.encoder().ffn_dim(m.ffn_dim());
  o.encoder().max_patches(m.max_patches());
  o.encoder().n_electrodes(m.n_electrodes());
  o.encoder().wavelet_levels(m.wavelet_levels());
  o.encoder().wavelet_pool_bins(m.wavelet_pool_bins());
  o.decoder_depth(1);
  o.vq(VectorQuantizerOptions(16, 8));
  return o;
}

/// Seeded random input: B windows of C channels x T seconds, ids 1..C, regions c % n_regions (last one -1).
inline EegInput random_input(int64_t b, int64_t c, int64_t t, uint64_t seed = 1) {
  auto gen = at::detail::createCPUGenerator(seed);
  EegInput in;
  in.signal = at::randn({b, c, t * kPatchSamples}, gen, torch::kFloat32);
  in.channel_ids = torch::arange(1, c + 1, torch::kLong);
  in.region_ids = torch::arange(c, torch::kLong).remainder(8);
  in.region_ids[c - 1] = -1;
  return in;
}

}  // namespace efm::models::test
