#pragma once
/// LaBraM's and braindecode's names for the backbone tensors, and the electrodes of their position embedding.
///
/// The backbone of `epilepsyfm` is LaBraM's NeuralTransformer when the spectral branch, the region embedding and the
/// coordinates are off (docs/interop.md). Tensors then correspond one to one, renamed by kNameRules, except:
///  - position embedding: theirs is [1, 129, d], row 0 added to the CLS token and row i + 1 to electrode i of
///    labram_electrodes(); ours is the electrode table [n_electrodes, d] (row = vocabulary id) with CLS's position
///    folded into the CLS token (ours = their cls_token + pos_embed[0]);
///  - time embedding: theirs [1, R, d] (LaBraM: R = 16; braindecode: patches + 1), ours [1, max_patches, d] with
///    max_patches = R, row t for patch t in both;
///  - head: LaBraM `head.*`, braindecode `final_layer.*`, ours `head.fc.*` (a fine-tuned window classifier).
/// Names: LaBraM modeling_finetune.py / modeling_pretrain.py (github.com/935963004/LaBraM); braindecode 1.8
/// braindecode/models/labram.py.
#include <cstdint>
#include <string>
#include <vector>

#include "epilepsyfm/core/enum_names.h"

namespace efm::interop {

/// Whose names a state dict uses.
enum class ForeignLayout { labram, braindecode };
inline constexpr EnumNames<ForeignLayout, 2> kForeignLayoutNames{
    {{ForeignLayout::labram, "labram"}, {ForeignLayout::braindecode, "braindecode"}}};
constexpr const auto& enum_names(ForeignLayout) {
  return kForeignLayoutNames;
}

/// One tensor (or name part) under each project's name. A name is renamed by the first rule whose part it contains
/// (replacing that part once); names no rule matches are the same in all three (blocks.<i>.attn.*, norm1, gamma_1,
/// norm, fc_norm).
struct NameRule {
  const char* ours;
  const char* labram;
  const char* braindecode;
};
inline constexpr NameRule kNameRules[] = {
    {"patch_embed.positions.spatial.electrode_embed.weight", "pos_embed", "position_embedding"},
    {"patch_embed.positions.time_embed", "time_embed", "temporal_embedding"},
    {"patch_embed.positions.cls_token", "cls_token", "cls_token"},
    {"patch_embed.temporal.", "patch_embed.", "patch_embed.temporal_conv."},
    {".mlp.fc1.", ".mlp.fc1.", ".mlp.0."},
    {".mlp.fc2.", ".mlp.fc2.", ".mlp.2."},
    {"head.fc.", "head.", "final_layer."},
};
inline constexpr const char* kOurElectrodeTable = "patch_embed.positions.spatial.electrode_embed.weight";
inline constexpr const char* kOurTimeTable = "patch_embed.positions.time_embed";
inline constexpr const char* kOurCls = "patch_embed.positions.cls_token";

/// Their name -> ours (unchanged when no rule matches).
std::string to_our_name(const std::string& name, ForeignLayout layout);
/// Our name -> theirs.
std::string to_foreign_name(const std::string& name, ForeignLayout layout);

/// The electrodes of their position embedding, row i + 1 for entry i: LaBraM's utils.standard_1020 up to its 128
/// rows (braindecode's LABRAM_CHANNEL_ORDER, upper-cased). They are rows 1..128 of our electrode vocabulary
/// (signal::electrode_vocabulary()), so the rows map one to one.
const std::vector<std::string>& labram_electrodes();
inline constexpr int64_t kLabramElectrodes = 128;

}  // namespace efm::interop
