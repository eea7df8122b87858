#pragma once
/// The named model sizes, one row each. The row feeds backbone_preset (the backbone and the tokenizer's encoder),
/// tokenizer_preset (its codebook) and the allowed values of `model.size` in the configs; adding a size is adding
/// a row here (docs/architecture.md).
///
///   name   d    layers heads FFN   out_chans   temporal features       codebook    note
///   tiny   64   4      4     256   8           200 -> projected to 64  512 x 32    tests, CPU demos
///   base   200  12     10    800   8           200                     8192 x 64   LaBraM-Base / EpilepsyFM
///   large  400  24     16    1600  16          400                     8192 x 64   LaBraM-Large
///   huge   800  48     16    3200  32          800                     8192 x 64   LaBraM-Huge
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace efm::models {

struct ModelSize {
  std::string_view name;
  int64_t embed_dim, depth, heads, ffn_dim;
  int64_t out_chans;                ///< TemporalConv channels: 25 * out_chans temporal features
  int64_t codebook_size, code_dim;  ///< the tokenizer preset's codebook
};

// LaBraM modeling_pretrain.py labram_{base,large,huge}: d 200/400/800, depth 12/24/48, heads 10/16/16, mlp_ratio 4,
// out_chans 8/16/32; README: --codebook_n_emd 8192 --codebook_emd_dim 64. tiny is this project's test size.
inline constexpr std::array<ModelSize, 4> kModelSizes{{
    {"tiny", 64, 4, 4, 256, 8, 512, 32},
    {"base", 200, 12, 10, 800, 8, 8192, 64},
    {"large", 400, 24, 16, 1600, 16, 8192, 64},
    {"huge", 800, 48, 16, 3200, 32, 8192, 64},
}};

/// The row named `name`. Throws ArgumentError "model size: allowed values are 'tiny', ..., but got '<name>'".
const ModelSize& model_size(const std::string& name);
/// The names, in size order.
const std::vector<std::string>& model_size_names();

}  // namespace efm::models
