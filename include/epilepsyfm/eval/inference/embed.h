#pragma once
/// `epilepsyfm embed`: the window embeddings of a store under a trained backbone (and, for a fine-tuned window
/// classifier, its logits), written batch by batch to one HDF5 file (io/embedding_file.h, docs/embed.md).
///
///   EmbedOptions o;  o.model = "runs/pretrain";  o.store = "stores/chbmit";  o.out = "emb.h5";
///   EmbedResult r = run_embed(o);   // emb.h5: /embedding [N, d], /recording, /start_s, /channels, ...
///
/// The model: a pretraining run (its backbone) or a fine-tuning run (its best checkpoint; seizure_detection and
/// seizure_type also give /logits = head.fc(embedding), other heads embeddings only), as train::resolve_model_file
/// finds it. The store must be preprocessed as the model's training data (config::check_preprocessing; a
/// difference is a ConfigError unless allow_preprocessing_mismatch). Windows: window_s (default: the run's
/// data.window_s) every stride_s (default: window_s) over every recording of the store, or of one part of a
/// fine-tuning run's split (its splits.csv); rejected windows are included. Memory: the window index, a few
/// batches and their activations, whatever the number of windows.
///
/// With `input` instead of a store, one recording is streamed through the ingest settings of the model's training
/// store (fine-tuning runs: resolved.ingest; pretraining runs: their data.store's config.yaml) as `predict` does
/// (eval/inference/predict.h: z-score first pass, then windows never across a gap); constant memory. Its rows name
/// the recording by the file's stem; start_s counts from the start of the recording.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "epilepsyfm/core/enum_names.h"

namespace efm::eval {

/// Which recordings of the store: every one, or one part of the fine-tuning run's split.
enum class EmbedSplit { all, train, val, test };
inline constexpr EnumNames<EmbedSplit, 4> kEmbedSplitNames{
    {{EmbedSplit::all, "all"}, {EmbedSplit::train, "train"}, {EmbedSplit::val, "val"}, {EmbedSplit::test, "test"}}};
constexpr const auto& enum_names(EmbedSplit) {
  return kEmbedSplitNames;
}

struct EmbedOptions {
  /// A pretraining or fine-tuning run directory, a checkpoint directory or a model file.
  std::filesystem::path model;
  std::filesystem::path store;  ///< the store to embed
  std::filesystem::path input;  ///< a recording to stream instead of a store (EDF/BDF/...)
  std::filesystem::path out;    ///< the HDF5 file (written as OUT.partial, renamed when complete)
  int64_t batch_size = 64;      ///< windows per forward pass
  std::string device = "auto";  ///< auto | cpu | cuda | cuda:N
  int threads = 0;              ///< LibTorch threads, 0 = all cores
  EmbedSplit split = EmbedSplit::all;
  std::optional<double> window_s;  ///< default: the run's data.window_s
  std::optional<double> stride_s;  ///< default: the window length
  bool allow_preprocessing_mismatch = false;
  bool progress = true;
};

struct EmbedResult {
  int64_t windows = 0;
  int64_t recordings = 0;
  int64_t embed_dim = 0;
  int64_t n_logits = 0;  ///< 0 without a window classifier
  double elapsed_s = 0;
};

/// Runs the embedding. ConfigError for bad options (neither or both of store and input), a tokenizer model, a
/// preprocessing mismatch, a split the model has none of, or an input without the store's ingest settings;
/// DataError for unreadable stores, recordings or weights.
EmbedResult run_embed(const EmbedOptions& options);

}  // namespace efm::eval
