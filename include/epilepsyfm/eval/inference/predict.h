#pragma once
/// `epilepsyfm predict`: a recording streamed through the ingest preprocessing and a fine-tuned window classifier
/// (seizure_detection), with memory that does not grow with the recording's length.
///
///   PredictOptions o;  o.checkpoint = "runs/sd";  o.input = "patient.edf";  o.out_dir = "pred";
///   PredictResult r = run_predict(o);   // pred/patient_probabilities.csv, _events.csv, _events.edf
///
/// What happens (ingest's recording pipeline, data/recording_pipeline.h, with the settings `ingest` used for the
/// model's training store, read from the checkpoint's config.yaml `resolved.ingest`; the model from the head
/// registry, HeadDefinition::model):
///  1. open the file (reader policy), plan its channels (canonical names, montage; io/reader.h, data/ingest.h);
///  2. for z-score normalisation, a first pass preprocesses every gap-free segment in chunks of predict.chunk_s
///     and pools the per-channel mean and standard deviation over the recording, as ingest stores them (the model
///     was trained on windows normalised with whole-recording statistics); scale/none need no first pass;
///  3. a second pass preprocesses again, normalises each chunk and keeps only the last window's samples: every
///     predict.step_s a window of data.window_s seconds (never across a gap) goes into a batch of
///     predict.batch_size; the model gives P(seizure) per window;
///  4. second j of a segment (covering [onset + j, onset + j + 1)) gets the mean probability of the windows that
///     fully cover it, written as soon as no later window can cover it; seconds no window covers (the end of a
///     segment shorter than a window) get no row;
///  5. events: the per-second series -> StreamingEventDetector (threshold, smoothing, merge gap, minimum
///     duration: predict.*), per segment.
/// Memory: the channel plan, one chunk, the samples of one window plus one chunk (data/window_batcher.h), one batch
/// and its activations, and the seconds of the last window awaiting their final value: independent of the
/// recording's length. Freed memory stays in the process (glibc mallopt: no trimming of the heap below 1 GB, blocks
/// up to 32 MB from the heap), so batch after batch reuses the same pages instead of faulting in fresh ones.
///
/// Outputs (in out_dir, named after the input's stem):
///   <stem>_probabilities.csv   time_s,probability,n_windows   (one row per second with a value)
///   <stem>_events.csv          onset_s,offset_s,duration_s,max_probability,label
///   <stem>_events.edf          EDF+ with one 1-Hz signal "P(seizure)" (0 where no value) and one annotation per
///                              detected event ("seizure (predicted)", with its duration): open it next to the
///                              recording in EDFbrowser
/// With reference seizures (a CSV `file,onset_s,offset_s,label` given as `labels`, rows for this file; and the
/// file's own EDF+ annotations with a duration whose text matches the store's seizure regex), the detections are
/// scored with SzCORE event scoring and the latencies are reported (PredictResult::score).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/eval/metrics/events.h"

namespace efm::eval {

/// Streaming equivalent of events_from_probabilities(values, step_s, options, start_s): values arrive one at a
/// time and events are released as soon as they are final. Memory: smoothing_steps values and one pending event.
class StreamingEventDetector {
 public:
  /// Throws ArgumentError for the option errors events_from_probabilities reports.
  StreamingEventDetector(double step_s, const ProbabilityEventOptions& options, double start_s = 0.0);
  /// Adds the next value (finite). Returns events that became final.
  std::vector<Event> push(double value);
  /// Ends the series; returns the remaining events. No push() afterwards.
  std::vector<Event> finish();

 private:
  void decide(int64_t i, double smoothed, std::vector<Event>& out);
  void close_run(int64_t end, std::vector<Event>& out);
  void emit(std::vector<Event>& out);

  double step_s_, start_s_;
  ProbabilityEventOptions o_;
  int64_t half_ = 0;
  int64_t n_ = 0;          ///< values pushed
  int64_t decided_ = 0;    ///< values decided (smoothed and thresholded)
  int64_t buf_start_ = 0;  ///< index of buf_[0]
  std::vector<double> buf_;
  int64_t run_start_ = -1;  ///< open run of positive values, in steps
  std::optional<Event> pending_;
  bool finished_ = false;
};

struct PredictOptions {
  /// A finetune run directory (its best checkpoint), a checkpoint directory or a model.pt with config.yaml
  /// beside it.
  std::filesystem::path checkpoint;
  std::filesystem::path input;    ///< EDF/BDF/... recording
  std::filesystem::path out_dir;  ///< created if absent
  /// Overrides of the checkpoint's config, e.g. "predict.threshold=0.7" (only `predict.*` matters here).
  std::vector<std::string> sets;
  /// Optional reference seizures: a CSV `file,onset_s,offset_s,label` (rows matching the input by file name).
  std::filesystem::path labels;
  bool progress = true;
};

struct PredictResult {
  double duration_s = 0;
  int64_t windows = 0;
  int64_t seconds = 0;  ///< rows of the probabilities CSV
  std::vector<std::string> channels;
  std::vector<Event> events;        ///< detected
  std::vector<Event> reference;     ///< annotated seizures used for scoring
  std::optional<EventScore> score;  ///< when reference seizures were given
  std::filesystem::path probabilities_csv, events_csv, events_edf;
  double elapsed_s = 0;
};

/// Runs the prediction. Throws ConfigError for a checkpoint whose head is not a two-class window head, DataError
/// for unreadable inputs.
PredictResult run_predict(const PredictOptions& options);

}  // namespace efm::eval
