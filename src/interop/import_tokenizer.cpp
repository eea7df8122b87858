// LaBraM's VQ-NSP tokenizer -> a tokenizer run directory (interop/import.h, import_tokenizer).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/interop/import.h"
#include "epilepsyfm/models/tokenizer.h"
#include "epilepsyfm/train/experiments.h"
#include "epilepsyfm/train/run_dir.h"
#include "interop/detail/import_steps.h"

namespace efm::interop {
namespace {

using detail::TensorMap;
constexpr ForeignLayout kLayout = ForeignLayout::labram;

// VQ-NSP tensors outside the encoder and decoder backbones: (theirs, ours). Names: LaBraM modeling_vqnsp.py and
// norm_ema_quantizer.py. An empty `ours` is left out (LaBraM's EMA state that the `labram` EMA rule does not keep).
struct TokenizerName {
  const char* theirs;
  const char* ours;
};
constexpr TokenizerName kTokenizerNames[] = {
    {"encode_task_layer.0.", "encode_task_layer.fc1."},
    {"encode_task_layer.2.", "encode_task_layer.fc2."},
    {"decode_task_layer.0.", "decoder.amplitude_head.fc1."},
    {"decode_task_layer.2.", "decoder.amplitude_head.fc2."},
    {"decode_task_layer_angle.0.", "decoder.phase_head.fc1."},
    {"decode_task_layer_angle.2.", "decoder.phase_head.fc2."},
    {"quantize.embedding.weight", "quantizer.codebook"},
    {"quantize.embedding.initted", "quantizer.initialized"},
    {"quantize.cluster_size", "quantizer.cluster_size"},
    {"quantize.embedding.cluster_size", ""},
    {"quantize.embedding.embed_avg", ""},
};

// Encoder or decoder: their tensors under `prefix` as a backbone of `model` (their fc_norm is our final norm).
TensorMap part(const TensorMap& theirs, const std::string& prefix, const models::BackboneConfig& model,
               std::vector<std::string>& left_out, const std::string& origin) {
  const TensorMap sub = detail::renamed_prefix(detail::with_prefix(theirs, prefix), "fc_norm.", "norm.");
  return to_our_tensors(sub, kLayout, model, left_out, origin);
}

// The decoder's names: positions directly under it, the 1x1 convolution from the code space as input_proj.
TensorMap decoder_tensors(TensorMap m) {
  m = detail::renamed_prefix(std::move(m), "patch_embed.positions.", "positions.");
  TensorMap out;
  for (auto& [name, t] : m) {
    if (name.rfind("patch_embed.temporal.proj.", 0) == 0) {
      const std::string rest = name.substr(std::string("patch_embed.temporal.proj.").size());
      out.emplace("input_proj." + rest, rest == "weight" ? t.flatten(1) : t);  // [d, code_dim, 1, 1] -> [d, code_dim]
    } else {
      out.emplace(name, t);
    }
  }
  return out;
}

models::TokenizerConfig infer_tokenizer(const TensorMap& theirs, std::optional<int64_t> heads,
                                        const std::string& origin) {
  models::TokenizerConfig c;
  const TensorMap enc = detail::renamed_prefix(detail::with_prefix(theirs, "encoder."), "fc_norm.", "norm.");
  c.encoder = infer_backbone(enc, kLayout, heads, origin);
  c.encoder.pooling = models::Pooling::cls;  // the tokenizer uses every patch token after the final norm
  c.encoder.final_norm = true;
  int64_t depth = 0;
  while (theirs.count(fmt::format("decoder.blocks.{}.norm1.weight", depth))) ++depth;
  EFM_CHECK_DATA(depth > 0, "{}: no decoder block ('decoder.blocks.0.norm1.weight' is missing)", origin);
  c.decoder_depth = depth;
  const auto codebook = theirs.find("quantize.embedding.weight");
  EFM_CHECK_DATA(codebook != theirs.end() && codebook->second.dim() == 2,
                 "{}: no codebook 'quantize.embedding.weight' [n_codes, code_dim]", origin);
  c.vq.n_codes = codebook->second.size(0);
  c.vq.code_dim = codebook->second.size(1);
  return c;
}

// Their tensors under our tokenizer names; names no rule takes keep theirs, so the load reports them.
TensorMap tokenizer_tensors(const TensorMap& theirs, const models::TokenizerConfig& c,
                            std::vector<std::string>& left_out, const std::string& origin) {
  TensorMap out;
  for (auto& [name, t] : part(theirs, "encoder.", c.encoder, left_out, origin)) out.emplace("encoder." + name, t);
  for (auto& [name, t] : decoder_tensors(part(theirs, "decoder.", c.encoder, left_out, origin))) {
    out.emplace("decoder." + name, t);
  }
  for (const auto& [name, t] : theirs) {
    if (name.rfind("encoder.", 0) == 0 || name.rfind("decoder.", 0) == 0) continue;
    const TokenizerName* rule = nullptr;
    for (const TokenizerName& r : kTokenizerNames) {
      if (name.rfind(r.theirs, 0) == 0) rule = &r;
    }
    if (rule != nullptr && std::string(rule->ours).empty()) {
      left_out.push_back(name);
    } else if (rule == nullptr) {
      out.emplace(name, t);
    } else {
      const std::string ours = rule->ours + name.substr(std::string(rule->theirs).size());
      out.emplace(ours, ours == "quantizer.initialized" ? t.reshape({}).to(torch::kBool) : t.to(torch::kFloat32));
    }
  }
  return out;
}

}  // namespace

ImportResult import_tokenizer(const ForeignStateDict& file, const ImportOptions& options) {
  const std::string origin = options.source.string();
  ImportResult result;
  result.kind = config::ExperimentKind::tokenizer;
  result.layout = kLayout;
  result.left_out = file.dropped;
  const models::TokenizerConfig config = infer_tokenizer(file.tensors, options.heads, origin);
  result.model = config.encoder;
  const TensorMap ours = tokenizer_tensors(file.tensors, config, result.left_out, origin);
  models::NeuralTokenizer tokenizer(config.to_options());
  models::LoadOptions lo;
  lo.strict = false;
  lo.may_be_missing = {"quantizer.usage_counts"};
  result.report = models::load_state_dict(*tokenizer, ours, origin, lo);
  detail::check_complete(result.report, kLayout, origin);

  train::TokenizerExperiment exp;
  exp.tokenizer = config;
  exp.data.preprocessing = detail::profile_spec(options.preprocess_profile, options.montage);
  const std::string yaml = config::to_yaml(exp);
  const train::RunDir run =
      train::RunDir::open(options.out, options.overwrite ? RunDirMode::overwrite : RunDirMode::create_new, yaml);
  EFM_LOG_INFO("[import] {} (LaBraM VQ-NSP tokenizer{}): {}", origin,
               file.wrapper.empty() ? "" : fmt::format(", under '{}'", file.wrapper), result.report.summary());
  if (!result.left_out.empty()) {
    EFM_LOG_INFO("[import] not imported ({}): {}", result.left_out.size(), fmt::join(result.left_out, ", "));
  }
  result.weights = run.path() / train::kTokenizerFile;
  models::save_state_dict(*tokenizer, result.weights, yaml);
  EFM_LOG_INFO("[import] wrote {} (encoder d {}, depth {}; decoder depth {}; codebook {} x {})",
               result.weights.string(), *config.encoder.embed_dim, *config.encoder.depth, config.decoder_depth,
               *config.vq.n_codes, *config.vq.code_dim);
  return result;
}

}  // namespace efm::interop
