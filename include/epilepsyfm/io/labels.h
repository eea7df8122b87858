#pragma once
/// Seizure and event labels: parsers for the label files of clinical corpora, matching label files to recordings,
/// and labelling windows by interval overlap.
///
///   LabelIndex index;
///   index.add(read_label_file("chb05/chb05-summary.txt"));           // format detected from name and content
///   LabelMatch m = index.lookup("/data/chbmit/chb05/chb05_06.edf");    // events of that recording
///   LabelRules rules(LabelRulesOptions{});                             // seizure regex, min overlap 0.5
///   auto windows = label_windows(m.events, segments, 200.0, {800, 800}, rules);
///
/// Formats (times are seconds from the start of the recording):
/// - csv: `file,onset_s,offset_s,label` (also `duration_s` instead of `offset_s`; `description` for `label`).
/// - whole_file: `file,label[,...]`: the label covers the whole recording (Bonn sets, Kaggle clips).
/// - chbmit: CHB-MIT `chbNN-summary.txt` ("File Name:", "Seizure [k] Start Time: N seconds", "... End Time").
/// - siena: Siena Scalp EEG `Seizures-list-PNxx.txt` (wall-clock "hh.mm.ss" relative to "Registration start
///   time", midnight wrap-around handled).
/// - tusz: TUH EEG Seizure Corpus `.csv_bi` (term-based, labels bckg/seiz) and `.csv` (per-channel, seizure type
///   codes fnsz, gnsz, cpsz, ...): '#' comment lines, header `channel,start_time,stop_time,label,confidence`.
///   The file labels the recording with the same path and stem.
/// - bids: BIDS `*_events.tsv` (onset, duration, and trial_type / eventType / event / value as the label; SzCORE
///   uses eventType sz* / bckg). The file labels `<same prefix>_eeg.<ext>` (or `_ieeg`) in the same folder.
/// - edf: the recording's own EDF+/BDF+ annotations (io::Annotation), text as label.
///
/// Matching: keys are paths with the last extension (and a BIDS `_eeg`/`_ieeg` suffix) removed. A key is first
/// resolved against the label file's directory (an exact match wins); otherwise it matches a recording whose path
/// ends with the key's components ("Z/Z001.edf" matches ".../edf/Z/Z001.edf"). Extensions are ignored, so a label
/// written for "x.edf" also applies to "x.bdf".
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "epilepsyfm/config/io_names.h"
#include "epilepsyfm/io/recording.h"

namespace efm::io {

/// csv | whole_file | chbmit | siena | tusz | bids | edf (the names and the enum: config/io_names.h; what each
/// reads: one row per format in labels.cpp's kLabelFormats).
using LabelFormat = config::LabelFormat;

/// "csv", "whole_file", ...
std::string_view label_format_name(LabelFormat format);
/// Parses a format name (not "auto"); throws ConfigError listing the known names.
LabelFormat parse_label_format(std::string_view name);

/// One labelled interval of one recording.
struct LabelEvent {
  double onset_s = 0;
  /// End of the interval; +infinity for whole-file labels (clipped to the recording when windows are labelled).
  double offset_s = 0;
  std::string label;
  std::string channel;  ///< TUSZ per-channel events and BIDS `channels`; empty = not channel-specific
  std::string source;   ///< "<label file name>:<line>" or "annotation"
  bool whole_file() const { return offset_s == std::numeric_limits<double>::infinity(); }
};

/// The events one label file gives for one recording key.
struct LabelEntry {
  std::string key;  ///< as written (or derived from the label file's own name for tusz/bids)
  int line = 0;     ///< first line of the entry in the label file (0 when derived from the file name)
  std::vector<LabelEvent> events;
};

/// A parsed label file.
struct LabelFile {
  std::filesystem::path path;
  LabelFormat format = LabelFormat::csv;
  std::vector<LabelEntry> entries;
  std::vector<std::string> warnings;  ///< tolerated problems, one sentence each, naming file and line
};

/// Detects the format of a label file from its name and first lines. Throws DataError "unknown label file
/// format" naming the file and the supported formats.
LabelFormat detect_label_format(const std::filesystem::path& file);
/// Parses one label file (`format` nullopt = detect). Throws DataError naming file and line for malformed content
/// (non-numeric times, offset before onset, missing columns, a seizure end without a start).
LabelFile read_label_file(const std::filesystem::path& file, std::optional<LabelFormat> format = std::nullopt);
/// Label files of `format` (or of any format when nullopt) under `dir`, recursively, sorted: *-summary.txt
/// (chbmit), Seizures-list-*.txt (siena), *.csv_bi (tusz), *_events.tsv (bids); csv/whole_file files are only
/// taken when named explicitly or when `format` is csv/whole_file (then every *.csv under dir).
std::vector<std::filesystem::path> find_label_files(const std::filesystem::path& dir,
                                                    std::optional<LabelFormat> format = std::nullopt);

/// EDF+/BDF+ annotations as events (label = text with surrounding spaces removed; empty texts skipped).
std::vector<LabelEvent> events_from_annotations(const std::vector<Annotation>& annotations);

/// Everything known about one recording's labels.
struct LabelMatch {
  std::vector<LabelEvent> events;    ///< from all matching label files, sorted by onset
  std::vector<std::string> sources;  ///< label files that contributed (file names)
  std::vector<std::string> errors;   ///< label files that failed to parse and whose folder holds the recording
};

/// Label files matched against recordings. Thread-safe for concurrent lookup().
class LabelIndex {
 public:
  LabelIndex();
  ~LabelIndex();
  LabelIndex(LabelIndex&&) noexcept;
  LabelIndex& operator=(LabelIndex&&) noexcept;

  void add(LabelFile file);
  /// A label file that could not be read: recordings under its folder get `reason` in LabelMatch::errors.
  void add_failure(const std::filesystem::path& file, const std::string& reason);
  /// Events of the recording at `recording_path` (made absolute). Remembers which entries matched.
  LabelMatch lookup(const std::filesystem::path& recording_path) const;

  size_t n_files() const;
  /// Entries that no lookup() matched ("<file>:<line> '<key>'"), and entries matched by more than one recording
  /// through a suffix match (ambiguous keys). For the end-of-run summary.
  std::vector<std::string> unmatched_entries() const;
  std::vector<std::string> ambiguous_entries() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Normalised matching key of a path: its components with the last extension and a trailing "_eeg"/"_ieeg"
/// removed. Exposed for tests.
std::vector<std::string> label_key_components(const std::filesystem::path& path);

// ---- window labelling ------------------------------------------------------------------------------------------

struct LabelRulesOptions {
  /// Whole-label, case-insensitive ECMAScript regex of seizure labels.
  std::string seizure_regex = "(seiz.*|sz.*|ictal|fnsz|gnsz|spsz|cpsz|absz|tnsz|cnsz|tcsz|atsz|mysz|nesz)";
  /// Minimum fraction of a window an event label must cover (and more than zero).
  double min_overlap = 0.5;
  std::string background = "background";
};

/// Classifies labels (seizure or not) and holds the overlap threshold.
class LabelRules {
 public:
  explicit LabelRules(LabelRulesOptions options = {});
  bool is_seizure(const std::string& label) const;
  const LabelRulesOptions& options() const { return options_; }

 private:
  LabelRulesOptions options_;
  struct Regex;
  std::shared_ptr<const Regex> regex_;
};

/// A gap-free stretch of the stored (preprocessed) signal.
struct SignalSegment {
  double onset_s = 0;        ///< time of its first sample from the recording start
  int64_t start_sample = 0;  ///< first sample in the stored signal
  int64_t n_samples = 0;
};

struct WindowGeometry {
  int64_t length_samples = 800;
  int64_t stride_samples = 800;
};

/// One window of the window table.
struct WindowLabel {
  int64_t start_sample = 0;  ///< in the stored signal
  std::string label;         ///< winning event label, or the background label
  bool seizure = false;
  float seizure_overlap = 0;  ///< fraction of the window covered by seizure events (union)
  float label_overlap = 0;    ///< fraction covered by `label`'s events (for background: by no event)
};

/// Windows of `geometry` inside each segment (never across a gap; a last partial window is dropped), labelled by
/// interval overlap: seizure when seizure events cover >= min_overlap of the window (so a window inside a long
/// seizure is seizure, not only windows holding an onset or offset); its label is then the seizure label covering
/// most of it. Otherwise the non-seizure label covering most of the window if it covers >= min_overlap, else the
/// background label. Ties go to the label that sorts first. Per-channel events count for the whole window.
std::vector<WindowLabel> label_windows(const std::vector<LabelEvent>& events,
                                       const std::vector<SignalSegment>& segments, double sfreq_hz,
                                       const WindowGeometry& geometry, const LabelRules& rules);

}  // namespace efm::io
