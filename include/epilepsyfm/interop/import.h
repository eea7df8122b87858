#pragma once
/// `epilepsyfm import`: LaBraM or braindecode backbone weights -> an epilepsyfm run directory that fine-tuning takes
/// as `--init` (docs/interop.md).
///
///   ImportOptions o;  o.source = "labram-base.pth";  o.out = "runs/labram_base";
///   ImportResult r = import_weights(o);   // runs/labram_base/config.yaml (experiment: pretrain), pretrained.pt
///
/// The model config is inferred from the tensors (embed_dim, depth, heads, ffn_dim, TemporalConv channels, qkv bias,
/// QK-norm, layer scale, position embedding, time-embedding rows, mean pooling / final norm) and the weights are
/// then loaded into that backbone with every tensor checked: a tensor the backbone lacks, one it needs that the file
/// lacks, or a shape that differs is a DataError naming the first such tensor by both names. Only these are left
/// out, and listed: a classification head (`head.*`, `final_layer.*`), LaBraM's pretraining heads (`mask_token`,
/// `lm_head.*`, `projection_head.*`), and the final `norm` of a LaBraM pretraining checkpoint, which LaBraM's
/// fine-tuning drops too (mean pooling + a new fc_norm).
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/interop/foreign_file.h"
#include "epilepsyfm/interop/labram_layout.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/models/model_config.h"

namespace efm::interop {

struct ImportOptions {
  std::filesystem::path source;         ///< a .pth/.pt written by torch.save
  std::filesystem::path out;            ///< the run directory to create
  std::optional<ForeignLayout> layout;  ///< nullopt: from the names (detect_layout)
  std::optional<int64_t> heads;         ///< attention heads, needed only without QK-norm (else d / q_norm size)
  /// The preprocessing the weights expect, recorded as the run's data.preprocessing (fine-tuning compares stores
  /// with it). LaBraM's and braindecode's Labram: the `labram` profile.
  std::string preprocess_profile = "labram";
  config::MontageKind montage = config::MontageKind::referential;
  bool overwrite = false;
};

struct ImportResult {
  config::ExperimentKind kind = config::ExperimentKind::pretrain;  ///< the run written: pretrain or tokenizer
  ForeignLayout layout = ForeignLayout::labram;
  models::BackboneConfig model;       ///< as written to the run's config
  models::LoadReport report;          ///< the load into the backbone (our names)
  std::vector<std::string> left_out;  ///< their names of the tensors not imported
  std::filesystem::path weights;      ///< OUT/pretrained.pt (OUT/tokenizer.pt)
};

/// braindecode when a name has its spellings (patch_embed.temporal_conv., position_embedding,
/// temporal_embedding), LaBraM when it has LaBraM's (patch_embed.conv1.weight, pos_embed, time_embed); DataError
/// naming `origin` otherwise.
ForeignLayout detect_layout(const std::map<std::string, torch::Tensor>& tensors, const std::string& origin);

/// The backbone their tensors describe (see the file comment). DataError naming the missing or contradicting tensor.
models::BackboneConfig infer_backbone(const std::map<std::string, torch::Tensor>& tensors, ForeignLayout layout,
                                      std::optional<int64_t> heads, const std::string& origin);

/// Their tensors under our names and shapes for `model` (position rows onto the electrode table, CLS position
/// folded into the CLS token); what is left out goes to `left_out` (their names).
std::map<std::string, torch::Tensor> to_our_tensors(const std::map<std::string, torch::Tensor>& tensors,
                                                    ForeignLayout layout, const models::BackboneConfig& model,
                                                    std::vector<std::string>& left_out, const std::string& origin);

/// Reads `options.source` and imports it as a tokenizer (is_vqnsp_tokenizer) or a backbone: converts, checks and
/// writes the run directory. ConfigError for an existing non-empty `out` without `overwrite`.
ImportResult import_weights(const ImportOptions& options);

/// A backbone file (LaBraM, braindecode) -> a pretraining-kind run directory (config.yaml, pretrained.pt).
ImportResult import_backbone(const ForeignStateDict& file, const ImportOptions& options);

/// LaBraM's VQ-NSP tokenizer (vqnsp.pth: `encoder.*`, `decoder.*`, `quantize.*`, `encode_task_layer.*`,
/// `decode_task_layer*.*`) -> a tokenizer run directory (config.yaml `experiment: tokenizer`, tokenizer.pt) that
/// `pretrain --tokenizer` takes. Encoder and decoder map as backbones (their `fc_norm`, applied to every patch
/// token, is our final `norm`); the decoder's 1x1 convolution from the code space becomes input_proj; the task
/// layers become encode_task_layer / the amplitude and phase heads; `quantize.embedding.weight` the codebook,
/// `quantize.embedding.initted` `initialized`, `quantize.cluster_size` the EMA counts. Left out and listed:
/// `quantize.embedding.cluster_size` and `quantize.embedding.embed_avg` (LaBraM's EMA state, which our `labram`
/// EMA rule does not keep). `result.model` is the encoder's config.
ImportResult import_tokenizer(const ForeignStateDict& file, const ImportOptions& options);

/// True when the names are a VQ-NSP tokenizer's (an `encoder.` and a `quantize.` tensor).
bool is_vqnsp_tokenizer(const std::map<std::string, torch::Tensor>& tensors);

}  // namespace efm::interop
