#pragma once
/// `epilepsyfm ingest`: recordings -> the HDF5 store (io/store.h, docs/store.md), in parallel over files, with
/// bounded memory per file.
///
/// Per file: (skip if the store already holds this relative path with the same SHA-256) -> open_recording ->
/// channel plan (canonical names, rate group, montage) -> labels (label files + EDF+ annotations) -> for each
/// gap-free segment: read ~10-s chunks (a reader thread), apply the montage, stream through signal::Preprocessor,
/// append to the store as the output arrives -> window table (interval-overlap labels, amplitude maxima) and the
/// per-channel statistics of the preprocessed signal. The SHA-256 of the source is computed concurrently.
///
///   config::IngestConfig cfg = ...;                      // configs/ingest/*.yaml
///   resolve_ingest_config(cfg);                          // profile values filled in, paths made absolute
///   IngestSummary s = run_ingest(cfg, "stores/tusz");
///   if (s.n_failed > 0 && !cfg.keep_going) return 1;
///
/// Nothing identifying from file headers is copied: RecordingInfo carries no patient fields, subject ids come from
/// paths or a mapping CSV, and logs name files by their path relative to the input root.
#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/config/ingest.h"
#include "epilepsyfm/io/reader.h"
#include "epilepsyfm/io/store.h"
#include "epilepsyfm/signal/preprocess.h"

namespace efm::data {

// ---- configuration ---------------------------------------------------------------------------------------------

/// The config's preprocessing as signal::PreprocessOptions (profile + overrides, validated: ConfigError naming
/// "ingest.preprocess.<field>").
signal::PreprocessOptions preprocess_options(const config::PreprocessConfig& config);
/// Fills every null preprocessing field with the profile's value (what --dump-config shows), expands
/// environment variables (`$VAR`, `${VAR}`, `${VAR:-default}`) in input, label and mapping paths and makes label
/// and mapping paths absolute. Throws ConfigError for an unset variable without default.
void resolve_ingest_config(config::IngestConfig& config);
/// The settings that decide what the store contains (preprocessing, channels, windows, labels, subjects, reader
/// policy, dtype) as YAML: the store's config.yaml; its SHA-256 is the store's config hash. Input paths, workers,
/// shard size, chunking and compression are left out (they do not change stored values).
std::string store_config_yaml(const config::IngestConfig& config);

// ---- inputs ----------------------------------------------------------------------------------------------------

struct InputFile {
  std::filesystem::path path;  ///< absolute
  std::filesystem::path root;  ///< the input root it was found under
  std::string relative;        ///< path relative to the root, '/' separators (the store's source_path)
};

/// Expands input.paths (directories recursively, files, globs with `*`, `?`, `[..]`, `**`), keeps the configured
/// extensions (case-insensitive; a `.eeg` file with a sibling `.vhdr` belongs to that header and is skipped),
/// drops `exclude` matches and duplicates; sorted by root, then relative path. Throws ConfigError naming the entry
/// when a path does not exist, and when nothing at all is found.
std::vector<InputFile> discover_inputs(const config::IngestInputConfig& input);

/// Store id of a relative path: extension dropped, '/' -> "__", characters other than letters, digits, '_', '-',
/// '.', '+' -> '_'. "chb05/chb05_06.edf" -> "chb05__chb05_06".
std::string recording_id_for(const std::string& relative);

/// Subject and session of an input per `subjects:` (folder | regex | mapping). Thread-safe.
class SubjectResolver {
 public:
  explicit SubjectResolver(const config::IngestSubjectsConfig& config);
  ~SubjectResolver();
  /// Throws DataError naming the file when the regex does not match or the mapping has no row for it.
  std::pair<std::string, std::string> resolve(const InputFile& file) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- channels --------------------------------------------------------------------------------------------------

/// Which signals of a file are read and how they become the stored channels.
struct ChannelPlan {
  std::vector<std::string> names;     ///< output channel names (canonical; unknown channels: cleaned labels)
  std::vector<int> vocab_index;       ///< signal::electrode_index per output (0 = UNK)
  std::vector<int> inputs;            ///< signal indices (RecordingInfo::signals) read, ascending
  Eigen::MatrixXf weights;            ///< [names, inputs]: output = weights x input chunk
  bool identity = false;              ///< weights is the identity (referential pick): skip the product
  double sfreq_hz = 0;                ///< rate of every input
  std::vector<std::string> dropped;   ///< "<label> (<why>)" for every signal not used
  std::vector<std::string> warnings;  ///< problems worth a log line and a note in the store
};

/// Plans the channels of one recording per `channels:`: non-EEG and annotation channels are dropped; unknown
/// labels (intracranial contacts, "ch22") are kept only with keep_unknown; only the sampling rate shared by most
/// selected channels is kept (the others are dropped with a warning: one Preprocessor per recording); repeated
/// canonical names keep the first; the montage (referential pick, average reference, tcp16/18/22 from referential
/// electrodes or as recorded) is applied. With intracranial = auto, label sets that look like numbered grids
/// ("C1".."C64") are treated as intracranial (all contacts unknown), with a warning. Throws DataError naming the
/// file when required channels are missing (missing: error) or nothing is left.
ChannelPlan plan_channels(const io::RecordingInfo& info, const config::IngestChannelsConfig& config);

/// Where one gap-free segment of a recording lies in the file, in samples of the plan's signals (all at
/// plan.sfreq_hz): EDF+D files have one per stretch between gaps; files without data records one in all.
struct SegmentSpan {
  double onset_s = 0;    ///< time of the segment's first sample from the recording start
  int64_t in_start = 0;  ///< first sample (per signal, in file order)
  int64_t in_count = 0;  ///< samples
};
/// The segments of `info` for the signals `plan` reads (a signal shorter than the others bounds them all).
std::vector<SegmentSpan> input_segments(const io::RecordingInfo& info, const ChannelPlan& plan);

/// Statistics of several segments pooled as one recording (population variance, as each part's; max of maxima).
signal::ChannelStats pool_stats(const std::vector<signal::ChannelStats>& parts, size_t n_channels);

// ---- running ---------------------------------------------------------------------------------------------------

/// Outcome of one input file.
struct FileOutcome {
  enum class Status { ok, skipped, failed };
  Status status = Status::failed;
  std::string source;        ///< relative path
  std::string recording_id;  ///< when known
  std::string reason;        ///< failed: the error; skipped: why
  std::string reader;
  double hours = 0;  ///< stored signal duration
  int64_t windows = 0, seizure_windows = 0, rejected_windows = 0;
  std::vector<std::string> warnings;
};

struct IngestSummary {
  std::vector<FileOutcome> files;         ///< in input order
  std::vector<std::string> label_issues;  ///< failed label files, unmatched and ambiguous label entries
  int n_ok = 0, n_skipped = 0, n_failed = 0;
  int n_label_files_failed = 0;
  double hours = 0;
  int64_t windows = 0, seizure_windows = 0;
  double elapsed_s = 0;
  /// Files and label files that failed (exit code 1 unless keep_going).
  bool any_failed() const { return n_failed > 0 || n_label_files_failed > 0; }
};

/// Test seams: the recording opener (default io::open_recording) and the progress display.
struct IngestHooks {
  std::function<std::unique_ptr<io::SignalSource>(const std::filesystem::path&, const io::ReaderOptions&)> open;
  bool show_progress = true;
};

/// Ingests every input of `config` (already passed through resolve_ingest_config) into the store at `store_dir`.
/// Per-file problems are reported in the summary (the other files still land); store-level problems (another
/// configuration, a locked store, no inputs) throw ConfigError.
IngestSummary run_ingest(const config::IngestConfig& config, const std::filesystem::path& store_dir,
                         const IngestHooks& hooks = {});

/// Human-readable end-of-run summary (counts, hours, every failed file with its reason, label issues).
std::string format_summary(const IngestSummary& summary);

}  // namespace efm::data
