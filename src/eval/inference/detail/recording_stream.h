#pragma once
// One recording streamed through the ingest preprocessing of a model's training store, in batches of windows: what
// `predict` and `embed --input` feed their models from (eval/inference/predict.h describes the passes). Memory: one
// chunk, one window plus one chunk, one batch; independent of the recording's length.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "epilepsyfm/config/ingest.h"
#include "epilepsyfm/data/recording_pipeline.h"
#include "epilepsyfm/data/window_batcher.h"
#include "epilepsyfm/models/signal_spec.h"
#include "epilepsyfm/signal/preprocess.h"

namespace efm::eval::detail {

struct StreamOptions {
  double window_s = 4.0;                    ///< window length (data.window_s of the model)
  double step_s = 1.0;                      ///< distance between window starts
  std::string step_key = "predict.step_s";  ///< how errors name step_s
  int64_t batch_size = 32;                  ///< windows per batch handed to the consumer
  double chunk_s = 10.0;                    ///< seconds of input read and preprocessed at a time
  bool read_ahead = false;                  ///< decode on a reader thread while the calling thread filters
  std::string progress;                     ///< progress bar label ("predict"); empty = no bar
};

class RecordingStream {
 public:
  /// Opens `input` with the store's reader policy and plans its channels (canonical names, montage).
  RecordingStream(const std::filesystem::path& input, const config::IngestConfig& ingest);

  const data::PlannedRecording& recording() const { return rec_; }
  const signal::PreprocessOptions& preprocess() const { return pp_; }
  double sfreq_hz() const { return pp_.sfreq_hz; }
  /// Input samples over every segment and channel signal (the progress bar's unit).
  int64_t input_samples() const;
  /// The model input's channel_ids and region_ids ([C] int64, on `device`) of the planned channels; no signal.
  models::EegInput channel_input(const torch::Device& device) const;
  /// For z-score normalisation, a first pass pools the whole recording's statistics (as ingest stores them); then
  /// windows of window_s every step_s (never across a gap) go to `consumer` in batches, segment by segment.
  void run(const StreamOptions& options, data::WindowConsumer& consumer) const;

 private:
  data::PlannedRecording rec_;
  signal::PreprocessOptions pp_;
};

}  // namespace efm::eval::detail
