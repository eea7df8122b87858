#pragma once
/// The HDF5 store: preprocessed recordings, their labels and windows, in shards under one directory
/// (schema: docs/store.md).
///
///   STORE/manifest.csv         one row per recording in a completed shard (the listing readers trust)
///   STORE/labels.csv           the store's label vocabulary: id,label,seizure (append-only)
///   STORE/config.yaml          the content-relevant ingest settings; their SHA-256 is the store's config hash
///   STORE/shard-00000.h5 ...   /recordings/<id>/{signal, channels, events/, windows/, segments/, ...}
///   STORE/.shard-00003.h5.partial   a shard being written (never listed; discarded by the next writer)
///
/// The stored signal is in microvolts after filtering and resampling; the normalisation of the preprocessing
/// profile (zscore / scale / none) is recorded with its statistics and applied by StoreReader::read(...,
/// normalised=true), so amplitude rejection in microvolts stays possible and ingest needs a single pass.
///
/// Writing is crash-safe: a shard is written under a temporary name and renamed when complete, then the manifest
/// is rewritten atomically; a recording that fails is deleted from its shard. HDF5 (Debian's serial build) is
/// called under one process-wide mutex; encoding and compression of signal chunks happen outside it, so several
/// recordings can be written from several threads.
///
///   StoreWriter w(dir, options, preprocessing);
///   auto rec = w.begin_recording(header);     // thread-safe
///   rec->append(block);                       // [channels, samples] uV, in order, any block sizes
///   rec->finish(footer);                      // stats, events, windows -> listed once the shard completes
///   w.close();
///
///   StoreReader r(dir);
///   std::vector<float> x(r.recordings()[0].n_channels * 800);
///   r.read(0, /*start_sample=*/0, /*n_samples=*/800, /*normalised=*/true, x.data());   // [C, 800] row-major
#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/io_names.h"
#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/io/labels.h"

namespace efm::io {

/// Version of the store layout written by this build (attribute `store_version`, manifest column).
inline constexpr int kStoreVersion = 1;

using config::StoreDtype;

struct StoreOptions {
  double shard_gb = 2.0;  ///< a shard is completed once it holds this many GB (1e9 bytes) of data
  StoreDtype dtype = StoreDtype::float32;
  int compression = 0;    ///< shuffle + deflate level 1-9; 0 = none
  double chunk_s = 10.0;  ///< signal chunk length along time (seconds of output signal)
  /// Content-relevant settings (YAML text, written to STORE/config.yaml and every shard). A store only accepts
  /// recordings written with the same settings: reopening it with different ones is a ConfigError.
  std::string config_yaml;
};

/// Preprocessing recorded with every recording: what the samples were computed with, plus the ingest settings
/// that select and label windows without changing the signal.
struct StoredPreprocessing {
  config::PreprocessingSpec spec;  ///< spec.normalization is what read(normalised=true) applies
  double reject_abs_uv = 0;        ///< 0 = no amplitude rejection
  int64_t window_length_samples = 800;
  int64_t window_stride_samples = 800;
  double min_overlap = 0.5;
};

/// What is known when a recording starts.
struct RecordingHeader {
  std::string id;  ///< unique in the store; letters, digits, '_', '-', '.', '+'
  std::string subject;
  std::string session;
  std::string source_path;    ///< relative to the input root, '/' separators (never absolute: privacy)
  std::string source_sha256;  ///< may be left empty here and given in RecordingFooter
  std::string reader;         ///< "edflib" | "biosig" | ...
  std::string format;         ///< "EDF+C", ...
  double source_duration_s = 0;
  std::vector<std::string> channels;     ///< output channel names, in row order
  std::vector<int> channel_vocab_index;  ///< signal::electrode_index per channel (0 = UNK)
  std::vector<SignalSegment> segments;   ///< gap-free stretches of the output; their n_samples sum to the total
  std::vector<std::string> deviations;   ///< format deviations the reader tolerated
  std::vector<std::string> warnings;     ///< ingest warnings (dropped channels, label-file problems, ...)
  std::vector<std::string> dropped_channels;
  std::vector<std::string> label_sources;
  int64_t n_samples() const;
};

/// What is known when a recording ends.
struct RecordingFooter {
  std::vector<double> mean_uv, std_uv, max_abs_uv;  ///< per channel, of the stored signal
  std::vector<LabelEvent> events;                   ///< whole-file offsets (+inf) are stored as the duration
  std::vector<uint8_t> event_seizure;               ///< per event: 1 = a seizure label (empty = all 0)
  std::vector<WindowLabel> windows;
  std::vector<float> window_max_abs_uv;  ///< per window, max |x| over channels and samples
  std::string source_sha256;  ///< when not empty, replaces the header's (hashing may finish after the signal)
};

/// One row of manifest.csv.
struct RecordingEntry {
  std::string recording_id, subject, session;
  std::string shard;  ///< file name, e.g. "shard-00000.h5"
  std::string source_path, source_sha256, config_hash;
  std::string reader, format;
  double sfreq_hz = 0;
  int64_t n_channels = 0;
  int64_t n_samples = 0;
  double duration_s = 0;  ///< n_samples / sfreq_hz
  int64_t n_windows = 0, n_seizure_windows = 0, n_rejected_windows = 0;
  int64_t n_events = 0, n_deviations = 0;
  std::string channels;       ///< space-separated
  std::string window_labels;  ///< "background=812;seizure=38"
  std::string tool_version;
  int store_version = kStoreVersion;
};

/// The store's label vocabulary.
struct StoreLabel {
  int id = 0;
  std::string name;
  bool seizure = false;
};

class StoreWriter;

/// Writes one recording's signal (streamed) and tables. Not thread-safe itself; different RecordingWriters may be
/// used from different threads. Destroying one that was not finished deletes the recording from its shard.
class RecordingWriter {
 public:
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  /// Appends [n_channels, m] samples (microvolts). Throws ArgumentError on a channel-count mismatch or when more
  /// samples arrive than the header declared.
  void append(const Eigen::Ref<const Eigen::MatrixXf>& block);
  /// Writes the tables and completes the recording. Throws ArgumentError if fewer samples were appended than
  /// declared or the table sizes do not match.
  void finish(const RecordingFooter& footer);
  /// Deletes the recording from its shard (also done by the destructor when not finished).
  void abort() noexcept;
  int64_t samples_written() const { return written_; }

 private:
  friend class StoreWriter;
  struct Impl;
  explicit RecordingWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int64_t written_ = 0;
};

/// Appends recordings to a store directory (created if absent). One writer per store at a time (a lock file
/// enforces it).
class StoreWriter {
 public:
  /// Opens `dir`: discards leftover .partial shards (logging them), adopts completed shards missing from the
  /// manifest (a crash between rename and manifest update), and checks the config: an existing store with other
  /// settings is refused with a ConfigError that shows the first differing line.
  StoreWriter(const std::filesystem::path& dir, StoreOptions options, StoredPreprocessing preprocessing);
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  const std::filesystem::path& dir() const;
  /// SHA-256 (hex) of options.config_yaml.
  const std::string& config_hash() const;
  /// The manifest row of a source already stored (by source_path), if any.
  std::optional<RecordingEntry> find_source(const std::string& source_path) const;
  /// True if a stored or in-progress recording already uses `id`.
  bool has_recording_id(const std::string& id) const;

  /// Starts a recording (thread-safe). Throws ArgumentError for a duplicate id or inconsistent header.
  std::unique_ptr<RecordingWriter> begin_recording(const RecordingHeader& header);
  /// Completes every open shard and rewrites the manifest. Throws if recordings are still being written.
  void close();

  /// Rows listed by this writer so far (completed shards of this session).
  std::vector<RecordingEntry> written() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// Everything stored for one recording besides the signal.
struct RecordingDetails {
  std::vector<std::string> channels;
  std::vector<int> channel_vocab_index;
  std::vector<double> mean_uv, std_uv, max_abs_uv;
  std::vector<SignalSegment> segments;
  std::vector<LabelEvent> events;
  std::vector<uint8_t> event_seizure;
  struct Window {
    int64_t start_sample = 0;
    int label = 0;  ///< id into StoreReader::labels()
    bool seizure = false;
    float seizure_overlap = 0, label_overlap = 0;
    bool reject = false;
    float max_abs_uv = 0;
  };
  std::vector<Window> windows;
  std::vector<std::string> deviations, warnings, dropped_channels, label_sources;
  StoredPreprocessing preprocessing;
  std::string tool_version, config_hash;
  StoreDtype dtype = StoreDtype::float32;
};

struct StoreReadOptions {
  /// Read uncompressed signals (the default `compression: 0`) straight out of read-only memory maps of the
  /// shards, without HDF5 and its lock, so that loader threads read in parallel. false: every read goes through
  /// HDF5 (serialised). Compressed signals always go through HDF5.
  bool map_signal = true;
};

/// Reads a store (manifest + shards). Thread-safe. Signal reads of uncompressed stores run in parallel (see
/// StoreReadOptions); every HDF5 call (tables, compressed signals) is serialised under one process-wide lock.
/// Shards are mapped while the reader lives: they must not be rewritten meanwhile (completed shards never are).
class StoreReader {
 public:
  /// Opens `dir`. Throws DataError if it has no manifest.csv or the manifest names a missing shard.
  explicit StoreReader(const std::filesystem::path& dir, StoreReadOptions options = {});
  ~StoreReader();
  StoreReader(StoreReader&&) noexcept;
  StoreReader& operator=(StoreReader&&) noexcept;

  const std::filesystem::path& dir() const;
  const std::vector<RecordingEntry>& recordings() const;
  /// Index of a recording id, if present.
  std::optional<size_t> find(const std::string& recording_id) const;
  const std::vector<StoreLabel>& labels() const;
  /// The store's content-relevant settings (config.yaml).
  std::string config_yaml() const;

  /// Channel names, statistics, events, windows, segments, provenance (read once, then cached).
  std::shared_ptr<const RecordingDetails> details(size_t index) const;

  /// Reads samples [start, start + n) of all channels into `out` ([n_channels, n] row-major float32).
  /// normalised=false: microvolts as stored; true: the recording's normalisation (zscore: (x - mean_uv) / std_uv
  /// per channel, a channel with std 0 gives 0; scale: x * scale; none: x). Throws ArgumentError when out of range.
  /// Both read paths (memory map, HDF5) give bit-identical values.
  void read(size_t index, int64_t start_sample, int64_t n_samples, bool normalised, float* out) const;
  /// Whether reads of recording `index` copy from the memory-mapped shard (true) or go through HDF5 (false:
  /// compressed signal, StoreReadOptions::map_signal off, or a file system that refused the mapping).
  bool signal_mapped(size_t index) const;
  /// Same, returned as a vector.
  std::vector<float> read_window(size_t index, int64_t start_sample, int64_t n_samples, bool normalised) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// "HDF5 1.10.8" (the library this build links).
std::string hdf5_library_version();

/// Manifest CSV I/O (exposed for tools and tests). Both put the rows in recording-id order, the order in which
/// StoreReader lists recordings: ingest finishes files in a thread-dependent order, data order must not depend on it.
std::vector<RecordingEntry> read_manifest(const std::filesystem::path& path);
std::string manifest_csv(const std::vector<RecordingEntry>& rows);

}  // namespace efm::io
