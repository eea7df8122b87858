#include "epilepsyfm/interop/export.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/eval/finetune/finetune_config.h"
#include "epilepsyfm/interop/labram_layout.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/models/model_config.h"
#include "epilepsyfm/signal/channels.h"
#include "epilepsyfm/train/experiments.h"
#include "epilepsyfm/train/model_files.h"

namespace efm::interop {
namespace {

using TensorMap = std::map<std::string, torch::Tensor>;
constexpr ForeignLayout kLayout = ForeignLayout::braindecode;

// What export needs from a run: its backbone config, weights under "backbone." (+ "head."), window and channels.
struct RunModel {
  models::BackboneConfig model;
  TensorMap tensors;
  std::optional<int64_t> n_times;
  std::vector<std::string> channels;
  std::string origin;
};

RunModel read_run(const std::filesystem::path& path) {
  const train::ModelFile mf = train::resolve_model_file(path, train::CheckpointChoice::best);
  RunModel r;
  r.origin = mf.description;
  if (mf.kind == config::ExperimentKind::finetune) {
    const auto exp = config::parse_yaml<eval::FinetuneExperiment>(mf.config_yaml, mf.description);
    r.model = exp.model;
    r.n_times = static_cast<int64_t>(exp.data.window_s * 200.0 + 0.5);
    r.channels = exp.resolved.channels;
  } else if (mf.kind == config::ExperimentKind::pretrain) {
    r.model = config::parse_yaml<train::PretrainExperiment>(mf.config_yaml, mf.description).model;
  } else {
    throw ConfigError(fmt::format("{}: export takes a pretraining, imported or fine-tuning run; this is {}",
                                  mf.description, mf.kind ? fmt::format("a {} run", *mf.kind) : "no known run"));
  }
  r.tensors = models::read_state_dict(mf.weights).tensors;
  return r;
}

void check_exportable(const models::BackboneOptions& o, const std::string& origin) {
  const std::pair<bool, const char*> rules[] = {
      {o.use_spectral(), "the spectral branch (model.use_spectral)"},
      {o.use_regions(), "the region embedding (model.use_regions)"},
      {o.use_coords(), "electrode coordinates (model.use_coords)"},
      {25 * o.out_chans() != o.embed_dim(), "a projection after the TemporalConv (25 * model.out_chans != embed_dim)"},
      {o.pooling() == models::Pooling::cls && !o.final_norm(), "CLS pooling without the final norm"},
      {o.pooling() == models::Pooling::mean && o.final_norm(),
       "mean pooling after a final norm (braindecode's use_mean_pooling has none)"},
  };
  for (const auto& [bad, what] : rules) {
    EFM_CHECK_CONFIG(!bad,
                     "{}: braindecode's Labram has no {}; export takes models without it (e.g. imported "
                     "ones, docs/interop.md)",
                     origin, what);
  }
}

// Our electrode row of a channel name, with --channel-as applied to find braindecode's row.
std::map<std::string, std::string> channel_map(const ExportOptions& options) {
  std::map<std::string, std::string> m;
  for (const auto& [ours, theirs] : options.channel_as) m[ours] = signal::canonicalize_channel(theirs).name;
  return m;
}

int64_t labram_row(const std::string& name) {
  const auto& names = labram_electrodes();
  for (size_t i = 0; i < names.size(); ++i) {
    if (signal::electrode_index(names[i]) == signal::electrode_index(name) && signal::electrode_index(name) != 0)
      return static_cast<int64_t>(i) + 1;
  }
  return 0;
}

torch::Tensor position_embedding(const torch::Tensor& table, const RunModel& run,
                                 const std::map<std::string, std::string>& as, std::vector<std::string>& ch_names) {
  const int64_t d = table.size(1);
  auto pos = torch::zeros({1, kLabramElectrodes + 1, d}, torch::kFloat32);
  pos[0].slice(0, 1).copy_(table.slice(0, 1, kLabramElectrodes + 1));
  for (const std::string& ch : run.channels) {
    const auto it = as.find(ch);
    const std::string theirs = it == as.end() ? ch : it->second;
    const int64_t row = labram_row(theirs);
    EFM_CHECK_CONFIG(row > 0,
                     "{}: channel '{}' has no row in braindecode's position embedding (LaBraM's 128 "
                     "electrodes); name one with --channel-as {}=ELECTRODE",
                     run.origin, theirs, ch);
    if (it != as.end()) {
      pos[0][row].copy_(table[signal::electrode_index(ch)]);
      EFM_LOG_INFO("[export] channel {}: its embedding goes to braindecode's row of {}", ch, theirs);
    }
    ch_names.push_back(theirs);
  }
  return pos;
}

std::string json_list(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const auto& n : names) quoted.push_back(fmt::format("\"{}\"", n));
  return fmt::format("[{}]", fmt::join(quoted, ", "));
}

std::string sidecar(const models::BackboneOptions& o, const ExportResult& r) {
  return fmt::format(
      "{{\n  \"n_chans\": {},\n  \"n_times\": {},\n  \"n_outputs\": {},\n  \"sfreq\": 200,\n  \"patch_size\": {},\n"
      "  \"embed_dim\": {},\n  \"num_layers\": {},\n  \"num_heads\": {},\n  \"mlp_ratio\": {},\n"
      "  \"conv_out_channels\": {},\n  \"qkv_bias\": {},\n  \"qk_norm\": {},\n  \"init_values\": {},\n"
      "  \"use_abs_pos_emb\": {},\n  \"use_mean_pooling\": {},\n  \"ch_names\": {}\n}}\n",
      r.ch_names.empty() ? kLabramElectrodes : static_cast<int64_t>(r.ch_names.size()), r.n_times, r.n_outputs,
      o.patch_samples(), o.embed_dim(), o.depth(), o.heads(),
      static_cast<double>(o.ffn_dim()) / static_cast<double>(o.embed_dim()), o.out_chans(), o.qkv_bias(), o.qk_norm(),
      o.layer_scale_init(), o.use_electrodes(), o.pooling() == models::Pooling::mean,
      r.ch_names.empty() ? std::string("null") : json_list(r.ch_names));
}

}  // namespace

ExportResult export_braindecode(const ExportOptions& options) {
  const RunModel run = read_run(options.model);
  const models::BackboneOptions o = run.model.to_options();
  check_exportable(o, run.origin);
  ExportResult r;
  r.n_times = options.n_times.value_or(run.n_times.value_or(0));
  EFM_CHECK_CONFIG(r.n_times > 0 && r.n_times % o.patch_samples() == 0,
                   "export: give --n-times, a multiple of {} (braindecode's Labram is built for one window length)",
                   o.patch_samples());
  const int64_t patches = r.n_times / o.patch_samples();
  EFM_CHECK_CONFIG(patches <= o.max_patches(),
                   "export: --n-times {} gives {} patches but the model's time embedding "
                   "has {} rows",
                   r.n_times, patches, o.max_patches());
  c10::Dict<std::string, at::Tensor> out;
  for (const auto& [name, t] : run.tensors) {
    const bool head = name.rfind("head.", 0) == 0;
    EFM_CHECK_CONFIG(head || name.rfind("backbone.", 0) == 0, "{}: tensor '{}' is neither backbone nor head",
                     run.origin, name);
    if (head) {
      EFM_CHECK_CONFIG(name == "head.fc.weight" || name == "head.fc.bias",
                       "{}: the head has '{}', more than one "
                       "linear layer: braindecode's final_layer cannot hold it",
                       run.origin, name);
      if (name == "head.fc.weight") r.n_outputs = t.size(0);
    }
    const std::string ours = head ? name : name.substr(std::string("backbone.").size());
    torch::Tensor v = t.detach().to(torch::kFloat32).contiguous();
    if (ours == kOurElectrodeTable) {
      v = position_embedding(v, run, channel_map(options), r.ch_names);
    } else if (ours == kOurTimeTable) {
      // braindecode keeps patches + 1 rows and reads the first `patches`; a missing last row is written as zeros.
      const int64_t kept = std::min(patches + 1, v.size(1));
      v = torch::cat({v.slice(1, 0, kept), torch::zeros({1, patches + 1 - kept, v.size(2)})}, 1);
    }
    out.insert(to_foreign_name(ours, kLayout), v);
  }
  r.weights = options.out;
  r.json = std::filesystem::path(options.out).replace_extension(".json");
  const std::vector<char> data = models::pickle_tensor_dict(out);
  atomic_write_file(r.weights, std::string_view(data.data(), data.size()));
  atomic_write_file(r.json, sidecar(o, r));
  EFM_LOG_INFO("[export] {} -> {} ({} tensors, braindecode Labram: n_times {}, n_outputs {}, channels {}) and {}",
               run.origin, r.weights.string(), out.size(), r.n_times, r.n_outputs,
               r.ch_names.empty() ? std::string("any of LaBraM's 128") : fmt::format("{}", fmt::join(r.ch_names, ",")),
               r.json.string());
  return r;
}

}  // namespace efm::interop
