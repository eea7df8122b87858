#include "cli/inspect_models.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/models/pretrain_model.h"
#include "epilepsyfm/models/tokenizer.h"
#include "epilepsyfm/models/vq.h"
#include "epilepsyfm/train/experiments.h"
#include "epilepsyfm/train/model_files.h"
#include "epilepsyfm/train/train_state.h"

namespace efm::cli {
namespace fs = std::filesystem;

namespace {

std::string count(int64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

void line(std::string& out, int indent, const std::string& name, int64_t n, const std::string& note = {}) {
  out += fmt::format("{:<{}}{:<{}} {:>13}{}\n", "", 2 * indent, name, 52 - 2 * indent, count(n),
                     note.empty() ? "" : "  " + note);
}

// Children of `m` with their parameter counts, `depth` levels deep; a ModuleList of identical blocks is one line.
void tree(std::string& out, const torch::nn::Module& m, int indent, int depth) {
  for (const auto& [name, n] : models::parameter_breakdown(m)) {
    if (name == "<self>") {
      std::string own;
      for (const auto& p : m.named_parameters(/*recurse=*/false)) own += (own.empty() ? "" : ", ") + p.key();
      line(out, indent, own, n);
      continue;
    }
    const auto child = m.named_children()[name];
    const auto blocks = child->children();
    if (child->as<torch::nn::ModuleList>() != nullptr && !blocks.empty()) {
      line(out, indent,
           fmt::format("{} ({} x {})", name, blocks.size(), count(models::count_parameters(*blocks[0], false))), n);
      continue;
    }
    line(out, indent, name, n);
    if (depth > 1) tree(out, *child, indent + 1, depth - 1);
  }
}

std::string backbone_summary(const models::BackboneOptions& o) {
  std::string spectral = "off";
  if (o.use_spectral()) {
    spectral = o.use_wavelet() ? fmt::format("wavelet packet {} levels", o.wavelet_levels()) : "";
    if (o.use_fft()) spectral += std::string(spectral.empty() ? "" : " + ") + "|rFFT|";
  }
  return fmt::format(
      "d {}, depth {}, heads {}, FFN {}, TemporalConv out_chans {}, spectral {}, qkv_bias {}, qk_norm {}, layer scale "
      "{}, {} electrode rows, {} regions, {} time rows, pooling {}",
      o.embed_dim(), o.depth(), o.heads(), o.ffn_dim(), o.out_chans(), spectral, o.qkv_bias(), o.qk_norm(),
      o.layer_scale_init(), o.n_electrodes(), o.n_regions(), o.max_patches(), o.pooling());
}

std::string describe_backbone_and_mem(const models::BackboneOptions& b, int64_t n_codes, const std::string& k_note) {
  std::string out = fmt::format("backbone: {}\n", backbone_summary(b));
  {
    models::Backbone net(b);
    line(out, 0, "backbone", models::count_parameters(*net));
    tree(out, *net, 1, 2);
  }
  models::MaskedEegModel mem(models::MaskedEegModelOptions(b).codebook_size(n_codes));
  out += "\n";
  line(out, 0, fmt::format("pretraining model ({} classes{})", n_codes, k_note), models::count_parameters(*mem));
  tree(out, *mem, 1, 1);
  return out;
}

std::string describe_tokenizer(const models::TokenizerOptions& t) {
  models::NeuralTokenizer tok(t);
  std::string out = fmt::format("tokenizer encoder: {}\n", backbone_summary(tok->encoder->options()));
  line(out, 0,
       fmt::format("tokenizer (codebook {} x {}, decoder depth {})", t.vq().n_codes(), t.vq().code_dim(),
                   t.decoder_depth()),
       models::count_parameters(*tok));
  tree(out, *tok, 1, 1);
  out += fmt::format("{:<54}(the codebook is {} EMA-updated buffer values, not parameters)\n", "",
                     count(t.vq().n_codes() * t.vq().code_dim()));
  return out;
}

}  // namespace

std::string describe_model(const std::string& what) {
  const auto& names = models::backbone_preset_names();
  if (std::find(names.begin(), names.end(), what) != names.end()) {
    const models::TokenizerOptions t = models::tokenizer_preset(what);
    std::string out = fmt::format("model size {} (trainable parameters)\n\n", what);
    out += describe_backbone_and_mem(models::backbone_preset(what), t.vq().n_codes(), ", the tokenizer preset's");
    return out + "\n" + describe_tokenizer(t);
  }
  if (!fs::is_regular_file(what)) {
    throw ConfigError(
        fmt::format("inspect --model: '{}' is neither a size ({}) nor a config file", what, fmt::join(names, ", ")));
  }
  const std::optional<config::ExperimentKind> kind = config::experiment_kind(read_file(what), what);
  if (kind == config::ExperimentKind::pretrain) {
    const auto exp = config::load<train::PretrainExperiment>({{what}, {}});
    int64_t k = models::tokenizer_preset(exp.model.size).vq().n_codes();
    std::string note =
        fmt::format(", the {} tokenizer preset's; the real count comes from tokenizer.checkpoint", exp.model.size);
    if (!exp.tokenizer.checkpoint.empty() && fs::exists(exp.tokenizer.checkpoint)) {
      const auto file = train::resolve_model_file(exp.tokenizer.checkpoint);
      k = config::parse_yaml<train::TokenizerExperiment>(file.config_yaml, file.description)
              .tokenizer.to_options()
              .vq()
              .n_codes();
      note = ", from " + file.description;
    }
    return fmt::format("pretraining config {}\n\n", what) + describe_backbone_and_mem(exp.model.to_options(), k, note);
  }
  if (kind == config::ExperimentKind::tokenizer) {
    const auto exp = config::load<train::TokenizerExperiment>({{what}, {}});
    return fmt::format("tokenizer config {}\n\n", what) + describe_tokenizer(exp.tokenizer.to_options());
  }
  throw ConfigError(fmt::format(
      "inspect --model: {} is {}; give a pretraining or tokenizer config (`experiment: pretrain` or `experiment: "
      "tokenizer`)",
      what, kind ? fmt::format("a {} config", *kind) : std::string("a config of unknown kind")));
}

std::string describe_checkpoint(const fs::path& path) {
  const train::ModelFile file = train::resolve_model_file(path);
  const models::StateDictFile sd = models::read_state_dict(file.weights);
  std::string out = fmt::format("weights      {} (format version {})\n", file.weights.string(), sd.format_version);

  std::optional<config::PreprocessingSpec> prep;
  const std::optional<config::ExperimentKind> kind = file.kind;
  if (kind == config::ExperimentKind::tokenizer) {
    const auto exp = config::parse_yaml<train::TokenizerExperiment>(file.config_yaml, file.description);
    const auto t = exp.tokenizer.to_options();
    out += fmt::format("kind         tokenizer: encoder {} (d {}, depth {}), codebook {} x {}, decoder depth {}\n",
                       exp.tokenizer.encoder.size, t.encoder().embed_dim(), t.encoder().depth(), t.vq().n_codes(),
                       t.vq().code_dim(), t.decoder_depth());
    prep = exp.data.preprocessing;
  } else if (kind == config::ExperimentKind::pretrain) {
    const auto exp = config::parse_yaml<train::PretrainExperiment>(file.config_yaml, file.description);
    const auto b = exp.model.to_options();
    out += fmt::format("kind         pretraining model: {} (d {}, depth {}), mask {} ratio {}, tokenizer {}\n",
                       exp.model.size, b.embed_dim(), b.depth(), exp.mask.strategy, exp.mask.ratio,
                       exp.tokenizer.checkpoint);
    prep = exp.data.preprocessing;
  } else {
    out += fmt::format("kind         {} (not a tokenizer or pretraining experiment)\n",
                       kind ? std::string(enum_name(*kind)) : std::string("unknown"));
  }
  if (fs::is_regular_file(file.weights.parent_path() / train::TrainState::kFile)) {
    const train::TrainState st = train::TrainState::read(file.weights.parent_path());
    out += fmt::format("training     step {} of {} (epoch {}), {} process(es) x batch {} x accumulation {}, seed {}\n",
                       st.step, st.total_steps, st.epoch, st.world_size, st.batch_size, st.accumulation, st.seed);
  }
  out += fmt::format("data         {}\n", prep ? prep->describe() : std::string("no preprocessing record"));

  std::map<std::string, std::pair<int64_t, int64_t>> groups;  // top-level name -> (tensors, values)
  int64_t total = 0;
  for (const auto& [name, t] : sd.tensors) {
    const std::string top = name.substr(0, name.find('.'));
    groups[top].first += 1;
    groups[top].second += t.numel();
    total += t.numel();
  }
  out += fmt::format("\n{:<40} {:>8} {:>13}\n", "component", "tensors", "values");
  for (const auto& [name, g] : groups) out += fmt::format("{:<40} {:>8} {:>13}\n", name, g.first, count(g.second));
  out += fmt::format("{:<40} {:>8} {:>13}\n", "total", sd.tensors.size(), count(total));

  if (sd.tensors.count("quantizer.codebook")) {
    const auto& cb = sd.tensors.at("quantizer.codebook");
    const bool init = sd.tensors.count("quantizer.initialized") && sd.tensors.at("quantizer.initialized").item<bool>();
    out +=
        fmt::format("\ncodebook     {} x {}, {}\n", cb.size(0), cb.size(1), init ? "initialised" : "NOT initialised");
    if (sd.tensors.count("quantizer.cluster_size")) {
      const auto& cs = sd.tensors.at("quantizer.cluster_size");
      out += fmt::format("cluster size EMA: {} codes below 1e-3 (dead), median {:.3g}, max {:.3g}\n",
                         (cs < 1e-3).sum().item<int64_t>(), cs.median().item<double>(), cs.max().item<double>());
    }
    if (sd.tensors.count("quantizer.usage_counts")) {
      const auto& u = sd.tensors.at("quantizer.usage_counts");
      out += fmt::format("usage since the last metrics row: {} of {} codes, perplexity {:.1f}\n",
                         (u > 0).sum().item<int64_t>(), u.numel(), models::perplexity_of(u));
    }
  }
  out += fmt::format("\nPython: sd = torch.load(\"{}\"); see docs/checkpoint.md\n", file.weights.string());
  return out;
}

}  // namespace efm::cli
