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

#include "epilepsyfm/config/run.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/config/train.h"
#include "epilepsyfm/models/model_config.h"

namespace efm::io {
struct StoredPreprocessing;
}

namespace efm::train {

/// What the tokens of a model were computed from: the content-relevant preprocessing of a store
/// (io::StoredPreprocessing without the ingest window table and the rejection threshold, which do not change the
/// signal).
struct PreprocessingRecord {
  std::string profile;
  double l_freq_hz = 0;  ///< band-pass low edge (0 = none)
  double h_freq_hz = 0;  ///< band-pass high edge (0 = none)
  std::vector<double> notch_hz;
  bool notch_harmonics = false;
  double sfreq_hz = 200;
  std::string normalization;  ///< zscore | scale | none
  double scale = 1;           ///< factor of `scale` normalisation
  std::string montage;

  template <class V>
  void visit(V& v) {
    v("profile", profile);
    v("l_freq_hz", l_freq_hz, config::non_negative());
    v("h_freq_hz", h_freq_hz, config::non_negative());
    v("notch_hz", notch_hz, config::non_negative());
    v("notch_harmonics", notch_harmonics);
    v("sfreq_hz", sfreq_hz, config::positive());
    v("normalization", normalization);
    v("scale", scale);
    v("montage", montage);
  }

  static PreprocessingRecord from_store(const io::StoredPreprocessing& p);
  /// One line per differing setting, "band-pass 0.5-70 Hz vs 0.1-75 Hz" (this, then `other`); empty when equal.
  /// The profile name alone is not a difference (only the parameters it resolves to are compared).
  std::vector<std::string> differences(const PreprocessingRecord& other) const;
  /// "epilepsyfm: 0.5-70 Hz, notch 50 Hz, 200 Hz, zscore, referential"
  std::string describe() const;
};

/// The `data:` section: which store, which windows.
struct DataConfig {
  std::string store;                          ///< store directory (`--store` sets it)
  double window_s = 4.0;                      ///< window length (s); C channels x window_s tokens per window
  double stride_s = 4.0;                      ///< distance between window starts (s)
  bool drop_rejected = true;                  ///< skip windows flagged by ingest's amplitude rejection
  std::vector<std::string> labels;            ///< keep only windows with these labels (empty = all windows)
  bool allow_preprocessing_mismatch = false;  ///< pretrain: accept a tokenizer trained on other preprocessing
  /// Filled from the store when the run starts (see the file comment); leave it unset (~) in config files.
  std::optional<PreprocessingRecord> preprocessing;

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

struct TokenizerExperiment {
  config::RunConfig run;
  DataConfig data;
  models::TokenizerConfig tokenizer;
  config::TrainConfig train;

  template <class V>
  void visit(V& v) {
    v("run", run);
    v("data", data);
    v("tokenizer", tokenizer);
    v("train", train);
  }
};

struct PretrainExperiment {
  config::RunConfig run;
  DataConfig data;
  TokenizerRef tokenizer;
  models::BackboneConfig model;
  models::MaskingConfig mask;
  config::TrainConfig train;

  template <class V>
  void visit(V& v) {
    v("run", run);
    v("data", data);
    v("tokenizer", tokenizer);
    v("model", model);
    v("mask", mask);
    v("train", train);
  }
};

}  // namespace efm::train
