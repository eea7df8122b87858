#pragma once
/// The experiments of the learning verbs, parsed from YAML at the edge (config/loader.h):
///
///   epilepsyfm tokenizer --config configs/tokenizer/tiny.yaml --store STORE --out RUN     TokenizerExperiment
///   epilepsyfm pretrain  --config configs/pretrain/tiny.yaml --store STORE --tokenizer TOK_RUN --out RUN
///                                                                                          PretrainExperiment
///
///   run:        RunConfig (seed, threads, device, deterministic, log level; run.out = --out)
///   data:       DataConfig below (store = --store; window geometry; preprocessing record)
///   tokenizer:  TokenizerConfig (models/model_config.h: encoder size + overrides, decoder depth, vq)   [tokenizer]
///   tokenizer:  TokenizerRef {checkpoint: TOK_RUN} (= --tokenizer), the frozen label source           [pretrain]
///   model:      BackboneConfig (size + overrides) of the student                                      [pretrain]
///   mask:       MaskingConfig (strategy random | channel_set | region, ratio, spans)                  [pretrain]
///   train:      TrainConfig (config/train.h: optimiser, schedule, batching, logging, checkpoints)
///
/// The tokenizer's encoder is configured under `tokenizer.encoder` (size + overrides), so a tokenizer experiment
/// has no separate `model:` section.
///
/// Preprocessing record: when a run starts, `data.preprocessing` is filled from the store (filters, rate,
/// normalisation, montage) and written with the resolved config into config.yaml, every checkpoint and the exported
/// model file. A config that already carries a record (a resumed run, or one written by hand) must agree with the
/// store. `pretrain` compares the tokenizer's record with its own store and refuses a difference unless
/// `data.allow_preprocessing_mismatch` is true: codes learnt on 0.5-70 Hz z-scored EEG mean little for
/// 0.1-75 Hz uV/100 EEG.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/config/run.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/config/train.h"
#include "epilepsyfm/models/model_config.h"

namespace efm::train {

/// The `data:` section: which store, which windows.
struct DataConfig {
  std::string store;                          ///< store directory (`--store` sets it)
  double window_s = 4.0;                      ///< window length (s); C channels x window_s tokens per window
  double stride_s = 4.0;                      ///< distance between window starts (s)
  bool drop_rejected = true;                  ///< skip windows flagged by ingest's amplitude rejection
  std::vector<std::string> labels;            ///< keep only windows with these labels (empty = all windows)
  bool allow_preprocessing_mismatch = false;  ///< pretrain: accept a tokenizer trained on other preprocessing
  /// Filled from the store when the run starts (see the file comment); leave it unset (~) in config files.
  std::optional<config::PreprocessingSpec> preprocessing;

  template <class V>
  void visit(V& v) {
    v("store", store);
    v("window_s", window_s, config::positive());
    v("stride_s", stride_s, config::positive());
    v("drop_rejected", drop_rejected);
    v("labels", labels);
    v("allow_preprocessing_mismatch", allow_preprocessing_mismatch);
    v("preprocessing", preprocessing);
  }
};

/// `tokenizer:` of a pretraining experiment: the trained tokenizer that labels the tokens.
struct TokenizerRef {
  /// A tokenizer run directory (uses RUN/tokenizer.pt, else its latest checkpoint), a checkpoint directory
  /// (RUN/checkpoints/step_N) or a model file written by `epilepsyfm tokenizer` (`--tokenizer` sets it).
  std::string checkpoint;

  template <class V>
  void visit(V& v) {
    v("checkpoint", checkpoint);
  }
};

/// The sections both learning experiments open with, in this order: `run:` and `data:`.
struct LearningSections {
  config::RunConfig run;
  DataConfig data;

  /// Visits `run` and `data`; each experiment's visit() starts with it.
  template <class V>
  void visit_sections(V& v) {
    v("run", run);
    v("data", data);
  }
};

struct TokenizerExperiment : LearningSections {
  /// Written as `experiment: tokenizer` at the top of the config (config/loader.h experiment_kind).
  static constexpr config::ExperimentKind kExperiment = config::ExperimentKind::tokenizer;
  models::TokenizerConfig tokenizer;
  config::TrainConfig train;

  template <class V>
  void visit(V& v) {
    visit_sections(v);
    v("tokenizer", tokenizer);
    v("train", train);
  }
};

struct PretrainExperiment : LearningSections {
  /// Written as `experiment: pretrain` at the top of the config (config/loader.h experiment_kind).
  static constexpr config::ExperimentKind kExperiment = config::ExperimentKind::pretrain;
  TokenizerRef tokenizer;
  models::BackboneConfig model;
  models::MaskingConfig mask;
  config::TrainConfig train;

  template <class V>
  void visit(V& v) {
    visit_sections(v);
    v("tokenizer", tokenizer);
    v("model", model);
    v("mask", mask);
    v("train", train);
  }
};

}  // namespace efm::train
