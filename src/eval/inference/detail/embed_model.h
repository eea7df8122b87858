#pragma once
// The model `embed` runs (eval/inference/embed.h): the backbone of a pretraining or fine-tuning run, with the
// window-classifier head when the fine-tuning run has one; what it learnt from (preprocessing, window length).
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "epilepsyfm/config/ingest.h"
#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/eval/finetune/heads/modules.h"
#include "epilepsyfm/eval/inference/embed.h"
#include "epilepsyfm/io/embedding_file.h"
#include "epilepsyfm/models/backbone.h"

namespace efm::eval::detail {

struct EmbedModel {
  models::Backbone backbone{nullptr};
  /// Fine-tuning runs of a window-classifier head (HeadDefinition::model): backbone + LinearHead; else null.
  FinetuneModel classifier{nullptr};
  config::ExperimentKind kind = config::ExperimentKind::pretrain;
  std::string head;  ///< fine-tuning runs: finetune.head
  std::filesystem::path weights;
  /// The fine-tuning run's splits.csv (empty when none: pretraining runs, or a model file outside its run).
  std::filesystem::path splits_csv;
  /// The preprocessing of the data the model learnt from (nullopt: the run records none).
  std::optional<config::PreprocessingSpec> preprocessing;
  /// The ingest settings of the store the model learnt from, how `embed --input` preprocesses a recording:
  /// fine-tuning runs: resolved.ingest; pretraining runs: their data.store's config.yaml while that store exists.
  std::optional<config::IngestConfig> ingest;
  double window_s = 0;                  ///< the run's data.window_s
  std::vector<std::string> classes;     ///< the classifier's classes (empty without one)
  std::vector<std::string> electrodes;  ///< model.electrodes: electrodes with learnt rows (empty = all)

  int64_t embed_dim() const { return backbone->options().embed_dim(); }
  /// Logits per window: 1 for a binary classifier, K for K classes, 0 without a classifier.
  int64_t n_logits() const;
  void to(const torch::Device& device);
  /// The file header's model fields: model, experiment_kind, embed_dim, n_logits, classes.
  io::EmbeddingFileHeader file_header() const;
  /// Window embeddings [B, d] and logits [B, n_logits] (undefined without a classifier), float32, in inference
  /// mode.
  std::pair<torch::Tensor, torch::Tensor> forward(const models::EegInput& input);
};

/// Resolves `path` (train::resolve_model_file, the best checkpoint of a fine-tuning run) and loads its weights,
/// logging the load summary. ConfigError for a tokenizer run, naming the path.
EmbedModel load_embed_model(const std::filesystem::path& path);

/// The model learnt from data preprocessed one way; its embeddings of data preprocessed another way mean little:
/// config::check_preprocessing (ConfigError unless `allowed`, then a warning). `data_text`: "the store S holds".
void check_data_preprocessing(const EmbedModel& m, const config::PreprocessingSpec& data, const std::string& data_text,
                              bool allowed);

/// Appends one batch: its outputs (forward(); any device) and each window's recording, start and channel group.
void append_outputs(io::EmbeddingWriter& out, const torch::Tensor& pooled, const torch::Tensor& logits,
                    std::span<const int32_t> recording, std::span<const double> start_s,
                    std::span<const int32_t> channel_group);

/// Warns, naming them, about channels the model has no learnt electrode row for (an imported backbone meeting
/// electrodes outside LaBraM's; channels_without_learnt_row).
void warn_unlearnt_channels(const EmbedModel& m, const std::vector<std::string>& channels, const std::string& where);

/// `embed --input`: the recording streamed through the ingest preprocessing of the model's store (predict's
/// pipeline, detail/recording_stream.h) into `o.out`. Returns the windows written and 1 recording.
EmbedResult embed_recording(EmbedModel& m, const EmbedOptions& o, const torch::Device& device);

}  // namespace efm::eval::detail
