// The model of `embed` (detail/embed_model.h): one loader per experiment kind.
#include "eval/inference/detail/embed_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "epilepsyfm/config/copy_fields.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/eval/finetune/finetune_config.h"
#include "epilepsyfm/eval/finetune/heads/head.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/signal/preprocess.h"
#include "epilepsyfm/train/model_files.h"

namespace efm::eval::detail {
namespace fs = std::filesystem;

namespace {

/// The backbone tensors (`backbone.*`) of a state dict into a fresh backbone. A pretraining run may lack fc_norm
/// (pooling is a fine-tuning layer); it then keeps its identity initialisation.
models::Backbone load_backbone(const models::BackboneOptions& options, const models::StateDictFile& sd,
                               const fs::path& weights) {
  models::Backbone backbone(options);
  models::LoadOptions lo;
  lo.prefix = "backbone.";
  lo.may_be_missing = {"fc_norm."};
  const models::LoadReport r = models::load_state_dict(*backbone, sd.tensors, weights.string(), lo);
  EFM_LOG_INFO("[embed] backbone of {}: {}", weights.string(), r.summary());
  return backbone;
}

/// A run without a store (`epilepsyfm import` writes none): ingest settings that give its recorded preprocessing,
/// with the default channel, reader and window settings.
config::IngestConfig ingest_from_spec(const config::PreprocessingSpec& spec) {
  config::IngestConfig ic;
  config::copy_fields(spec, ic.preprocess);  // the profile and every recorded value, as overrides
  ic.channels.montage = spec.montage;
  return ic;
}

EmbedModel load_pretrain(const train::ModelFile& mf) {
  const auto exp = config::parse_yaml<train::PretrainExperiment>(mf.config_yaml, mf.description);
  EmbedModel m;
  m.backbone = load_backbone(exp.model.to_options(), models::read_state_dict(mf.weights), mf.weights);
  m.preprocessing = exp.data.preprocessing;
  m.window_s = exp.data.window_s;
  m.electrodes = exp.model.electrodes;
  const fs::path store_config = fs::path(exp.data.store) / "config.yaml";
  if (!exp.data.store.empty() && fs::is_regular_file(store_config)) {
    m.ingest = ingest_config_of(read_file(store_config), store_config.string());
  } else if (exp.data.store.empty() && exp.data.preprocessing) {
    m.ingest = ingest_from_spec(*exp.data.preprocessing);
    EFM_LOG_INFO("[embed] {} names no store: recordings are preprocessed as its data.preprocessing says (profile {})",
                 mf.description, exp.data.preprocessing->profile);
  }
  return m;
}

/// splits.csv of the run a fine-tuning model file belongs to: RUN/checkpoints/step_N/model.pt.
fs::path find_splits_csv(const fs::path& weights) {
  const fs::path checkpoint = weights.parent_path();
  for (const fs::path& dir : {checkpoint, checkpoint.parent_path().parent_path()}) {
    if (!dir.empty() && fs::is_regular_file(dir / "splits.csv")) return dir / "splits.csv";
  }
  return {};
}

EmbedModel load_finetune(const train::ModelFile& mf) {
  const auto exp = config::parse_yaml<FinetuneExperiment>(mf.config_yaml, mf.description);
  const HeadDefinition& def = head_registry().get(exp.finetune.head, "finetune.head");
  const models::StateDictFile sd = models::read_state_dict(mf.weights);
  EmbedModel m;
  m.head = exp.finetune.head;
  if (def.model) {
    m.classifier = def.model(exp);
    const models::LoadReport r = models::load_state_dict(*m.classifier, sd.tensors, mf.weights.string());
    EFM_LOG_INFO("[embed] {} model of {}: {}", m.head, mf.weights.string(), r.summary());
    m.backbone = m.classifier->backbone;
    m.classes = exp.resolved.classes;
  } else {
    m.backbone = load_backbone(exp.model.to_options(), sd, mf.weights);
    EFM_LOG_INFO("[embed] head '{}' ({}) is not a window classifier: writing embeddings only", m.head,
                 input_text(def.spec.input));
  }
  const config::IngestConfig& ing = exp.resolved.ingest;
  m.preprocessing = signal::preprocessing_spec(data::preprocess_options(ing.preprocess), ing.channels.montage);
  m.ingest = ing;
  m.window_s = exp.data.window_s;
  m.splits_csv = find_splits_csv(mf.weights);
  return m;
}

struct KindLoader {
  config::ExperimentKind kind;
  EmbedModel (*load)(const train::ModelFile&);
};
constexpr KindLoader kLoaders[] = {
    {config::ExperimentKind::pretrain, load_pretrain},
    {config::ExperimentKind::finetune, load_finetune},
};

}  // namespace

int64_t EmbedModel::n_logits() const {
  if (!classifier) return 0;
  return classifier->head_as<LinearHeadImpl>()->fc->options.out_features();
}

void EmbedModel::to(const torch::Device& device) {
  if (classifier) {
    classifier->to(device);
    classifier->eval();
  } else {
    backbone->to(device);
  }
  backbone->eval();
}

io::EmbeddingFileHeader EmbedModel::file_header() const {
  io::EmbeddingFileHeader h;
  h.model = weights.string();
  h.experiment_kind = fmt::format("{}", kind);
  h.embed_dim = embed_dim();
  h.n_logits = n_logits();
  if (h.n_logits > 0) h.classes = classes;
  return h;
}

std::pair<torch::Tensor, torch::Tensor> EmbedModel::forward(const models::EegInput& input) {
  c10::InferenceMode guard;
  torch::Tensor pooled = backbone->forward(input).pooled;
  torch::Tensor logits;
  if (classifier) logits = classifier->head_as<LinearHeadImpl>()->forward(pooled).to(torch::kFloat32);
  return {pooled.to(torch::kFloat32), logits};
}

void check_data_preprocessing(const EmbedModel& m, const config::PreprocessingSpec& data, const std::string& data_text,
                              bool allowed) {
  config::PreprocessingCheck check;
  check.learnt = fmt::format("the model {} learnt from", m.weights.string());
  check.data = data_text;
  check.allow_key = "--allow-preprocessing-mismatch";
  check.allowed = allowed;
  check.remedy = "re-ingest the store with the model's preprocessing";
  check.log_tag = "[embed]";
  check.origin = fmt::format("the model {}", m.weights.string());
  config::check_preprocessing(m.preprocessing, data, check);
}

void append_outputs(io::EmbeddingWriter& out, const torch::Tensor& pooled, const torch::Tensor& logits,
                    std::span<const int32_t> recording, std::span<const double> start_s,
                    std::span<const int32_t> channel_group) {
  const torch::Tensor p = pooled.cpu().contiguous();
  const torch::Tensor z = logits.defined() ? logits.cpu().contiguous() : torch::Tensor();
  io::EmbeddingRows rows;
  rows.embedding = {p.data_ptr<float>(), static_cast<size_t>(p.numel())};
  if (z.defined()) rows.logits = {z.data_ptr<float>(), static_cast<size_t>(z.numel())};
  rows.recording = recording;
  rows.start_s = start_s;
  rows.channel_group = channel_group;
  out.append(rows);
}

EmbedModel load_embed_model(const fs::path& path) {
  const train::ModelFile mf = train::resolve_model_file(path, train::CheckpointChoice::best);
  const auto* entry = std::find_if(std::begin(kLoaders), std::end(kLoaders),
                                   [&](const KindLoader& l) { return mf.kind && l.kind == *mf.kind; });
  EFM_CHECK_CONFIG(entry != std::end(kLoaders),
                   "--model: {} is {}, not a backbone; give a pretraining run (pretrained.pt) or a fine-tuning run",
                   mf.description,
                   mf.kind ? fmt::format("a {} run's model", *mf.kind) : std::string("of no known experiment kind"));
  EmbedModel m = entry->load(mf);
  m.kind = entry->kind;
  m.weights = mf.weights;
  return m;
}

void warn_unlearnt_channels(const EmbedModel& m, const std::vector<std::string>& channels, const std::string& where) {
  const std::vector<std::string> unknown = channels_without_learnt_row(m.electrodes, channels);
  if (unknown.empty()) return;
  EFM_LOG_WARN(
      "[embed] {}: channel(s) {} have no learnt electrode embedding in {} (model.electrodes): they use the "
      "import's mean electrode row",
      where, fmt::join(unknown, ", "), m.weights.string());
}

}  // namespace efm::eval::detail
