#pragma once
/// The window index: every training/evaluation window of a WindowSource, cut with a configurable length and
/// stride, with rejected windows dropped and an optional label filter, grouped by channel set.
///
///   WindowOptions opt;                 // 4 s windows, 4 s stride
///   opt.labels = {"seizure", "background"};
///   auto index = std::make_shared<WindowIndex>(WindowIndex::build(*source, opt));
///
/// Geometry: a recording with sampling rate f gets windows of L = round(window_s·f) samples starting at
/// 0, S, 2S, … (S = round(stride_s·f)) while start + L <= n_samples (the incomplete tail is not used). window_s·f
/// and stride_s·f must be whole numbers (within 1e-6 samples), otherwise ArgumentError names the recording.
///
/// Labels and rejection come from the recording's window table (RecordingInfo::spans):
///   - a window is rejected when it overlaps any span flagged `rejected`;
///   - a window carries label k when every one of its samples is covered by spans labelled k and no span with
///     another label (or no label) overlaps it; otherwise it is unlabelled (-1). With the ingest geometry
///     (same length and stride as the table) this reproduces the table exactly; a shorter window inside a long
///     seizure span is seizure; a window straddling a seizure boundary is unlabelled rather than guessed.
///
/// Groups: recordings with the identical ordered channel-id list and the same window length in samples share a
/// group; batches never mix groups (their tensors would not stack). Groups are numbered in order of first
/// appearance, windows within a group in (recording, start) order, so the index is deterministic.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/data/window_source.h"

namespace efm::data {

struct WindowOptions {
  double window_s = 4.0;            ///< window length in seconds
  double stride_s = 4.0;            ///< distance between window starts in seconds
  bool drop_rejected = true;        ///< drop windows overlapping a rejected span
  std::vector<std::string> labels;  ///< keep only windows with one of these labels (empty = keep all)
  bool require_label = false;       ///< drop unlabelled windows (implied when `labels` is not empty)
};

/// One window.
struct WindowRef {
  int64_t recording = 0;     ///< index into WindowSource::recordings()
  int64_t start_sample = 0;  ///< first sample
  int64_t label = -1;        ///< index into WindowSource::label_names(), -1 = unlabelled
  int64_t group = 0;         ///< index into WindowIndex::groups()
};

/// Windows sharing one channel set and one window length.
struct ChannelGroup {
  std::vector<int64_t> channel_ids;  ///< the shared ordered electrode ids
  int64_t window_samples = 0;        ///< samples per window
  std::vector<int64_t> windows;      ///< indices into WindowIndex::windows(), in (recording, start) order
  std::vector<int64_t> recordings;   ///< recordings in this group
};

/// Counts of what the index kept and dropped (for the log line and for tests).
struct WindowIndexStats {
  int64_t candidates = 0;        ///< windows cut before filtering
  int64_t dropped_rejected = 0;  ///< dropped by the reject flag
  int64_t dropped_label = 0;     ///< dropped by the label filter / require_label
  int64_t short_recordings = 0;  ///< recordings shorter than one window (contribute nothing)
};

class WindowIndex {
 public:
  /// Cuts the windows of every recording of `source`. Throws ArgumentError for bad options (non-positive
  /// lengths, unknown label names listing the known ones, non-integral sample counts naming the recording).
  static WindowIndex build(const WindowSource& source, const WindowOptions& options);

  const std::vector<WindowRef>& windows() const { return windows_; }
  const std::vector<ChannelGroup>& groups() const { return groups_; }
  const WindowIndexStats& stats() const { return stats_; }
  const WindowOptions& options() const { return options_; }
  int64_t size() const { return static_cast<int64_t>(windows_.size()); }
  /// Window length in samples of window `w` (its group's).
  int64_t window_samples(int64_t w) const { return groups_[windows_[w].group].window_samples; }

 private:
  WindowOptions options_;
  std::vector<WindowRef> windows_;
  std::vector<ChannelGroup> groups_;
  WindowIndexStats stats_;
};

/// Seconds × sampling rate as a whole number of samples; ArgumentError naming `what` if it is not whole.
int64_t seconds_to_samples(double seconds, double sfreq_hz, const std::string& what);

}  // namespace efm::data
