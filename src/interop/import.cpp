#include "epilepsyfm/interop/import.h"

#include <fmt/format.h>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/train/experiments.h"
#include "epilepsyfm/train/run_dir.h"
#include "interop/detail/import_steps.h"

namespace efm::interop {
namespace {

using TensorMap = std::map<std::string, torch::Tensor>;

bool has(const TensorMap& m, const std::string& name) {
  return m.count(name) > 0;
}

bool any_name_contains(const TensorMap& m, const std::string& part) {
  for (const auto& [name, t] : m) {
    if (name.find(part) != std::string::npos) return true;
  }
  return false;
}

// Tensors outside the backbone that an import leaves out (their names, as prefixes).
constexpr const char* kLeftOutPrefixes[] = {"head.", "final_layer.", "mask_token", "lm_head.", "projection_head."};

bool left_out_by_rule(const std::string& name) {
  for (const char* p : kLeftOutPrefixes) {
    if (name.rfind(p, 0) == 0) return true;
  }
  return false;
}

// LaBraM's attention heads by embedding width (labram_{base,large,huge}_patch200_200), for files without QK-norm.
int64_t labram_heads(int64_t embed_dim) {
  constexpr std::pair<int64_t, int64_t> kHeads[] = {{200, 10}, {400, 16}, {800, 16}};
  for (const auto& [d, h] : kHeads) {
    if (d == embed_dim) return h;
  }
  return 0;
}

const torch::Tensor& need(const TensorMap& m, const std::string& our_name, ForeignLayout layout,
                          const std::string& origin) {
  const auto it = m.find(our_name);
  EFM_CHECK_DATA(it != m.end(), "{}: no tensor '{}', which every {} backbone has", origin,
                 to_foreign_name(our_name, layout), enum_name(layout));
  return it->second;
}

int64_t heads_of(const TensorMap& m, int64_t d, std::optional<int64_t> heads, const std::string& origin) {
  if (has(m, "blocks.0.attn.q_norm.weight")) {
    const int64_t head_dim = m.at("blocks.0.attn.q_norm.weight").size(0);
    EFM_CHECK_DATA(head_dim > 0 && d % head_dim == 0,
                   "{}: 'blocks.0.attn.q_norm.weight' has {} entries, which do not "
                   "divide embed_dim {}",
                   origin, head_dim, d);
    return d / head_dim;
  }
  if (heads) return *heads;
  const int64_t h = labram_heads(d);
  EFM_CHECK_DATA(h > 0,
                 "{}: without QK-norm the tensors do not tell the number of attention heads of embed_dim {}; "
                 "give --heads",
                 origin, d);
  return h;
}

}  // namespace

ForeignLayout detect_layout(const TensorMap& tensors, const std::string& origin) {
  for (const char* part : {"patch_embed.temporal_conv.", "position_embedding", "temporal_embedding"}) {
    if (any_name_contains(tensors, part)) return ForeignLayout::braindecode;
  }
  for (const char* part : {"patch_embed.conv1.", "pos_embed", "time_embed"}) {
    if (any_name_contains(tensors, part)) return ForeignLayout::labram;
  }
  throw DataError(fmt::format(
      "{}: neither LaBraM's nor braindecode's Labram backbone (no 'patch_embed.conv1.weight', no "
      "'patch_embed.temporal_conv.conv1.weight') nor LaBraM's VQ-NSP tokenizer (no 'encoder.*' and 'quantize.*')",
      origin));
}

models::BackboneConfig infer_backbone(const TensorMap& theirs, ForeignLayout layout, std::optional<int64_t> heads,
                                      const std::string& origin) {
  TensorMap m;
  for (const auto& [name, t] : theirs) m.emplace(to_our_name(name, layout), t);
  for (const char* unsupported : {"relative_position_bias_table", "rel_pos_bias"}) {
    EFM_CHECK_DATA(!any_name_contains(m, unsupported),
                   "{}: the model uses a relative position bias ('{}' tensors), which the epilepsyfm backbone does "
                   "not have (LaBraM's default, use_rel_pos_bias=False, does not either)",
                   origin, unsupported);
  }
  EFM_CHECK_DATA(!has(m, "patch_embed.temporal.proj.weight") && !any_name_contains(m, "segment_patch.patcher"),
                 "{}: the patch embedding is a linear projection (LaBraM's neural decoder / a learned patcher), not "
                 "the TemporalConv of a backbone",
                 origin);
  models::BackboneConfig c;
  const int64_t d = need(m, kOurCls, layout, origin).size(-1);
  int64_t depth = 0;
  while (has(m, fmt::format("blocks.{}.norm1.weight", depth))) ++depth;
  EFM_CHECK_DATA(depth > 0, "{}: no transformer block ('{}' is missing)", origin,
                 to_foreign_name("blocks.0.norm1.weight", layout));
  c.embed_dim = d;
  c.depth = depth;
  c.heads = heads_of(m, d, heads, origin);
  c.ffn_dim = need(m, "blocks.0.mlp.fc1.weight", layout, origin).size(0);
  c.out_chans = need(m, "patch_embed.temporal.conv1.weight", layout, origin).size(0);
  c.qkv_bias = has(m, "blocks.0.attn.q_bias");
  c.qk_norm = has(m, "blocks.0.attn.q_norm.weight");
  c.layer_scale_init = has(m, "blocks.0.gamma_1") ? 0.1 : 0.0;  // the value is the file's; > 0 keeps the tensors
  c.max_patches = need(m, kOurTimeTable, layout, origin).size(1);
  c.use_electrodes = has(m, kOurElectrodeTable);
  c.use_regions = false;
  c.use_coords = false;
  c.use_spectral = false;
  const bool fc_norm = has(m, "fc_norm.weight");
  // braindecode without fc_norm pools CLS after the final norm; a LaBraM file without fc_norm is a pretraining
  // model, fine-tuned as LaBraM does: mean pooling, no final norm, a new fc_norm.
  c.pooling = fc_norm || layout == ForeignLayout::labram ? models::Pooling::mean : models::Pooling::cls;
  c.final_norm = fc_norm ? has(m, "norm.weight") : layout == ForeignLayout::braindecode;
  if (c.use_electrodes) c.electrodes = labram_electrodes();
  return c;
}

TensorMap to_our_tensors(const TensorMap& theirs, ForeignLayout layout, const models::BackboneConfig& model,
                         std::vector<std::string>& left_out, const std::string& origin) {
  TensorMap out;
  for (const auto& [name, t] : theirs) {
    const std::string ours = to_our_name(name, layout);
    if (left_out_by_rule(name) || (!model.final_norm && ours.rfind("norm.", 0) == 0)) {
      left_out.push_back(name);
      continue;
    }
    out.emplace(ours, t.detach().to(torch::kFloat32).contiguous());
  }
  const auto pos = out.find(kOurElectrodeTable);
  if (pos == out.end()) return out;
  const torch::Tensor p = pos->second;
  const int64_t d = out.at(kOurCls).size(-1);
  EFM_CHECK_DATA(p.dim() == 3 && p.size(0) == 1 && p.size(1) == kLabramElectrodes + 1 && p.size(2) == d,
                 "{}: '{}' has shape {}; expected [1, {}, {}] (CLS + LaBraM's {} electrodes)", origin,
                 to_foreign_name(kOurElectrodeTable, layout), models::shape_str(p), kLabramElectrodes + 1, d,
                 kLabramElectrodes);
  const int64_t rows = model.n_electrodes;
  EFM_CHECK_CONFIG(rows > kLabramElectrodes, "model.n_electrodes ({}) must exceed LaBraM's {} electrodes", rows,
                   kLabramElectrodes);
  // Rows LaBraM has no electrode for (UNK and our appended names) get their mean electrode row, which fine-tuning
  // uses for such channels only when init.unknown_channels says so.
  auto table = p[0].slice(0, 1).mean(0, /*keepdim=*/true).expand({rows, d}).clone();
  table.slice(0, 1, kLabramElectrodes + 1).copy_(p[0].slice(0, 1));
  out.at(kOurCls) = out.at(kOurCls) + p.slice(1, 0, 1);
  pos->second = table;
  return out;
}

bool is_vqnsp_tokenizer(const TensorMap& tensors) {
  return any_name_contains(tensors, "quantize.") && any_name_contains(tensors, "encoder.");
}

ImportResult import_weights(const ImportOptions& options) {
  const ForeignStateDict file = read_foreign_state_dict(options.source);
  return is_vqnsp_tokenizer(file.tensors) ? import_tokenizer(file, options) : import_backbone(file, options);
}

ImportResult import_backbone(const ForeignStateDict& file, const ImportOptions& options) {
  const std::string origin = options.source.string();
  ImportResult result;
  result.layout = options.layout.value_or(detect_layout(file.tensors, origin));
  result.left_out = file.dropped;
  result.model = infer_backbone(file.tensors, result.layout, options.heads, origin);
  const TensorMap ours = to_our_tensors(file.tensors, result.layout, result.model, result.left_out, origin);

  auto root = std::make_shared<torch::nn::Module>();
  auto backbone = root->register_module("backbone", models::Backbone(result.model.to_options()));
  models::LoadOptions lo;
  lo.strict = false;
  lo.may_be_missing = {"fc_norm."};
  result.report = models::load_state_dict(*backbone, ours, origin, lo);
  detail::check_complete(result.report, result.layout, origin);

  train::PretrainExperiment exp;
  exp.model = result.model;
  exp.data.preprocessing = detail::profile_spec(options.preprocess_profile, options.montage);
  const std::string yaml = config::to_yaml(exp);
  const train::RunDir run =
      train::RunDir::open(options.out, options.overwrite ? RunDirMode::overwrite : RunDirMode::create_new, yaml);
  EFM_LOG_INFO("[import] {} ({} layout{}{}): {}", origin, enum_name(result.layout),
               file.wrapper.empty() ? "" : fmt::format(", under '{}'", file.wrapper),
               file.prefix.empty() ? "" : fmt::format(", prefix '{}'", file.prefix), result.report.summary());
  if (!result.left_out.empty()) {
    EFM_LOG_INFO("[import] not imported ({}): {}", result.left_out.size(), fmt::join(result.left_out, ", "));
  }
  result.weights = run.path() / train::kPretrainedFile;
  models::save_state_dict(*root, result.weights, yaml);
  EFM_LOG_INFO("[import] wrote {} (d {}, depth {}, heads {}, pooling {}, final norm {})", result.weights.string(),
               *result.model.embed_dim, *result.model.depth, *result.model.heads, enum_name(result.model.pooling),
               result.model.final_norm);
  return result;
}

}  // namespace efm::interop
