#pragma once
/// The two self-supervised TrainingTasks behind `epilepsyfm tokenizer` and `epilepsyfm pretrain`.
///
/// TokenizerTask (LaBraM VQ-NSP training): NeuralTokenizer forward per micro-batch, loss = commitment + amplitude +
/// phase. The codebook's EMA update is deferred to once per optimiser step (after_backward), where the code counts
/// and sums of all micro-batches of all ranks are all-reduced through the trainer's process group, so every rank
/// keeps the same codebook (k-means initialisation and dead-code re-seeding are broadcast from rank 0).
/// Metrics per step (train/<name> in metrics.csv, averaged over the log interval):
///   commitment_loss, amplitude_loss, phase_loss
/// per log interval (the codes assigned by the training forwards since the previous row, all ranks):
///   codebook_usage       fraction of the codebook used at least once
///   codebook_perplexity  exp(entropy) of the code frequencies: the effective number of codes in use
///   codebook_dead        fraction of codes whose EMA cluster size is below the dead-code threshold (after re-seeding)
///
/// PretrainTask (LaBraM masked EEG modelling with a frozen tokenizer): per micro-batch the tokenizer (eval mode, no
/// gradients, codebook fixed, float32 even under autocast) labels every token, the mask strategy draws the mask M,
/// and the MaskedEegModel's symmetric loss CE(M) + CE(~M) is minimised. Masks are a function of (run seed, step, window
/// position in the step batch), so a data-parallel run draws exactly the masks of a single process with the same global
/// batch. Metrics per step: loss_masked, loss_symmetric, accuracy (masked-token accuracy of the M pass),
/// accuracy_symmetric, mask_ratio (achieved); per log interval, from the labels seen since the previous row:
///   label_majority_frac  frequency of the most common code (the accuracy of always predicting it)
///   label_perplexity     effective number of codes among the labels
/// Chance level for accuracy is 1 / codebook size.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

#include "epilepsyfm/data/batch.h"
#include "epilepsyfm/models/masking.h"
#include "epilepsyfm/models/pretrain_model.h"
#include "epilepsyfm/models/tokenizer.h"
#include "epilepsyfm/train/task.h"

namespace efm::train {

/// The model input of a loader batch: signal [B, C, n], channel_ids and region_ids [B, C].
models::EegInput eeg_input(const data::Batch& batch);

class TokenizerTask : public TrainingTask {
 public:
  /// Builds the tokenizer (parameters initialised from LibTorch's generator: seed it first).
  explicit TokenizerTask(models::TokenizerOptions options);

  torch::nn::Module& model() override { return *tokenizer_; }
  StepResult train_step(const data::Batch& batch, const StepContext& ctx) override;
  std::map<std::string, double> interval_metrics(const StepContext& ctx) override;
  void on_start(ProcessGroup& dist) override;
  void after_backward(const StepContext& ctx) override;

  models::NeuralTokenizer tokenizer() const { return tokenizer_; }

 private:
  models::NeuralTokenizer tokenizer_{nullptr};
};

struct PretrainTaskOptions {
  models::MaskedEegModelOptions model;
  models::MaskOptions mask;
  uint64_t seed = 0;  ///< run seed (masks: derive_seed(seed, "mask", step), window index = position in the step)
};

class PretrainTask : public TrainingTask {
 public:
  /// `tokenizer` is frozen here (eval mode, requires_grad off, no codebook updates). Throws ConfigError when its
  /// codebook size differs from options.model.codebook_size() or its codebook was never initialised.
  PretrainTask(PretrainTaskOptions options, models::NeuralTokenizer tokenizer);

  torch::nn::Module& model() override { return *model_; }
  StepResult train_step(const data::Batch& batch, const StepContext& ctx) override;
  std::map<std::string, double> interval_metrics(const StepContext& ctx) override;
  /// task.pt: the label counts of the current log interval (so metrics continue exactly after a resume).
  void save_state(torch::serialize::OutputArchive& archive) const override;
  void load_state(torch::serialize::InputArchive& archive) override;

  models::MaskedEegModel masked_model() const { return model_; }
  models::NeuralTokenizer tokenizer() const { return tokenizer_; }

 private:
  PretrainTaskOptions options_;
  models::MaskedEegModel model_{nullptr};
  models::NeuralTokenizer tokenizer_{nullptr};
  models::MaskGenerator masks_;
  torch::Tensor label_counts_;  ///< [K] float64, codes of the labels since the last metrics row (this rank)
};

}  // namespace efm::train
