#pragma once
// The model `embed` runs (eval/inference/embed.h): the backbone of a pretraining or fine-tuning run, with the
// window-classifier head when the fine-tuning run has one; what it learnt from (preprocessing, window length).
#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/eval/finetune/heads/modules.h"
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
  double window_s = 0;               ///< the run's data.window_s
  std::vector<std::string> classes;  ///< the classifier's classes (empty without one)

  int64_t embed_dim() const { return backbone->options().embed_dim(); }
  /// Logits per window: 1 for a binary classifier, K for K classes, 0 without a classifier.
  int64_t n_logits() const;
  void to(const torch::Device& device);
  /// Window embeddings [B, d] and logits [B, n_logits] (undefined without a classifier), float32, in inference
  /// mode.
  std::pair<torch::Tensor, torch::Tensor> forward(const models::EegInput& input);
};

/// Resolves `path` (train::resolve_model_file, the best checkpoint of a fine-tuning run) and loads its weights,
/// logging the load summary. ConfigError for a tokenizer run, naming the path.
EmbedModel load_embed_model(const std::filesystem::path& path);

}  // namespace efm::eval::detail
