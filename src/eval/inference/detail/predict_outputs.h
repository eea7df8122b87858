#pragma once
// What `predict` (eval/predict.h) writes as the per-second probabilities become final: the probabilities CSV, the
// events EDF+ (P(seizure) as a 1-Hz signal, the detections as annotations), the detected events and the events CSV.
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "epilepsyfm/eval/finetune/finetune_config.h"
#include "epilepsyfm/eval/inference/predict.h"
#include "epilepsyfm/io/edf_writer.h"

namespace efm::eval::detail {

/// Per-second aggregation of window probabilities within one segment, released in time order: second j (local)
/// gets the mean probability of the windows that fully cover [j, j + 1).
class SecondAggregator {
 public:
  using Sink = std::function<void(double t_s, double probability, int64_t n_windows)>;
  /// `onset_s`: the segment's onset (added to the local seconds handed to `sink`).
  SecondAggregator(double onset_s, Sink sink) : onset_s_(onset_s), sink_(std::move(sink)) {}
  /// A window covering local seconds [a, b) (fractional bounds allowed) with probability p.
  void add(double a_s, double b_s, double p);
  /// Every second before `t_s` (local) is final.
  void release_before(double t_s);
  void finish();

 private:
  double onset_s_;
  Sink sink_;
  std::map<int64_t, std::pair<double, int64_t>> pending_;  ///< second -> (sum of p, windows)
};

/// The output files of one prediction, streamed. result's output paths, channels and duration are set beforehand;
/// events and seconds are filled in.
class PredictionWriter {
 public:
  PredictionWriter(PredictResult& result, const PredictConfig& config);
  /// The next final second at `t_s` from the recording start (increasing): mean probability of `n` windows.
  void second(double t_s, double probability, int64_t n);
  /// The current segment ended: its open events end with it.
  void end_segment();
  /// Closes the CSV and the EDF+ (padded with zeros to the recording's duration, detections annotated) and writes
  /// the events CSV (max probability per event read back from the probabilities CSV).
  void finish();

 private:
  void take(std::vector<Event> events);
  void edf_fill_to(int64_t second);
  void write_events_csv() const;

  PredictResult& result_;
  ProbabilityEventOptions events_;
  std::filesystem::path prob_tmp_;
  std::ofstream prob_;
  io::EdfWriter edf_;
  int64_t edf_next_ = 0;  ///< next 1-s record of the EDF
  std::optional<StreamingEventDetector> detector_;
  double last_t_ = -1;
};

}  // namespace efm::eval::detail
