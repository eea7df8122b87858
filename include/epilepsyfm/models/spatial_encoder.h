#pragma once
/// Spatial encoder and token positions.
///
/// SpatialEncoder: per channel, Embedding(n_electrodes, d)[electrode id] + Embedding(n_regions + 1, d)[region row]
/// (+ Linear(3, d)(xyz) when coordinates are used); each part can be switched off. Electrode ids index the global,
/// append-only vocabulary (signal::electrode_vocabulary(); 0 = UNK), so n_electrodes (default 256) must be at least
/// the vocabulary size; spare rows leave room for names appended later without changing checkpoint shapes. Region
/// rows: row 0 = "no region" (region id -1), row r + 1 = region r of the region table (default 8 regions).
///
/// TokenPositions: adds the spatial embedding of each token's channel and the learnable time embedding of its patch
/// index t (max_patches rows, default 256 >= 128 so 90 s forecasting histories fit), then prepends the CLS token:
/// [B, C*T, d] -> [B, 1 + C*T, d]. Unlike LaBraM (whose time table has 16 rows and whose channel table doubles as
/// the CLS position), CLS has no positional term of its own: the CLS parameter is its embedding.
#include <torch/torch.h>

#include <cstdint>

#include "epilepsyfm/models/signal_spec.h"

namespace efm::models {

struct SpatialEncoderOptions {
  explicit SpatialEncoderOptions(int64_t embed_dim) : embed_dim_(embed_dim) {}
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, n_electrodes) = 256;  ///< rows of the electrode table (>= vocabulary size)
  TORCH_ARG(int64_t, n_regions) = 8;       ///< regions of the region table (one more row for "no region")
  TORCH_ARG(bool, use_electrodes) = true;
  TORCH_ARG(bool, use_regions) = true;
  TORCH_ARG(bool, use_coords) = false;  ///< Linear(3, d) of the electrode coordinates
};

class SpatialEncoderImpl : public torch::nn::Module {
 public:
  explicit SpatialEncoderImpl(SpatialEncoderOptions options);
  /// @param input channel_ids (and region_ids / coords when used) of a checked input with `batch` rows
  /// @return [B, C, d]. Throws DataError for ids outside the tables (naming the id and the table size) and for a
  ///         missing region_ids / coords that the options require.
  torch::Tensor forward(const EegInput& input, int64_t batch);
  const SpatialEncoderOptions& options() const { return options_; }

 private:
  SpatialEncoderOptions options_;
  torch::nn::Embedding electrode_embed_{nullptr};
  torch::nn::Embedding region_embed_{nullptr};
  torch::nn::Linear coord_proj_{nullptr};
};
TORCH_MODULE(SpatialEncoder);

struct TokenPositionsOptions {
  explicit TokenPositionsOptions(int64_t embed_dim) : embed_dim_(embed_dim), spatial_(embed_dim) {}
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, max_patches) = 256;  ///< rows of the time embedding: longest window in patches (seconds)
  TORCH_ARG(SpatialEncoderOptions, spatial);
};

class TokenPositionsImpl : public torch::nn::Module {
 public:
  explicit TokenPositionsImpl(TokenPositionsOptions options);
  /// @param features [B, C*T, d] token features in channel-major order
  /// @return [B, 1 + C*T, d]: CLS, then features + spatial[c] + time[t]
  torch::Tensor forward(const torch::Tensor& features, const EegInput& input, const TokenGeometry& geometry);
  const TokenPositionsOptions& options() const { return options_; }

  SpatialEncoder spatial{nullptr};
  torch::Tensor time_embed;  ///< [1, max_patches, d]
  torch::Tensor cls_token;   ///< [1, 1, d]

 private:
  TokenPositionsOptions options_;
};
TORCH_MODULE(TokenPositions);

}  // namespace efm::models
