#pragma once
/// Configuration of `epilepsyfm ingest`: EDF/BDF/... files -> the sharded HDF5 store (docs/store.md).
///
///   config_version: 1
///   run: {out: stores/tusz}                # the store directory (--out)
///   ingest:
///     input: {paths: [/data/tusz/edf], extensions: [.edf]}
///     preprocess: {profile: epilepsyfm, notch_hz: [60]}     # null fields = the profile's value
///     channels: {montage: tcp22, missing: error}
///     labels: {sources: [{format: tusz}], min_overlap: 0.5}
///
/// Files: configs/ingest/{default,labram,cbramod,bonn,chbmit,shared_data}.yaml. Everything below config/ receives
/// these structs, never YAML.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/io_names.h"
#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/config/run.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/core/enum_names.h"

namespace efm::config {

/// Which recording reader is allowed (io/reader.h ReaderPolicy).
struct IngestReaderConfig {
  ReaderPolicy policy = ReaderPolicy::tolerant;  ///< strict (EDFlib only) | tolerant (EDFlib, then BioSig)

  template <class V>
  void visit(V& v) {
    v("policy", policy);
  }
};

/// What to ingest.
struct IngestInputConfig {
  /// Directories (searched recursively), files or glob patterns (`*`, `?`, `[...]`, `**` = any depth).
  /// `--input` on the command line replaces this list. Recording ids are paths relative to each entry's root
  /// (the directory itself, the directory part of a glob before its first wildcard, or a file's parent).
  std::vector<std::string> paths;
  /// File extensions picked up in directories and globs (case-insensitive).
  std::vector<std::string> extensions{".edf", ".bdf", ".gdf", ".vhdr", ".trc", ".eeg"};
  /// Glob patterns (matched against the path relative to the root) of files to leave out.
  std::vector<std::string> exclude;

  template <class V>
  void visit(V& v) {
    v("paths", paths);
    v("extensions", extensions);
    v("exclude", exclude);
  }
};

/// channels.missing: what a missing picked channel or derivation does.
enum class MissingChannels { error, skip };
inline constexpr EnumNames<MissingChannels, 2> kMissingChannelsNames{
    {{MissingChannels::error, "error"}, {MissingChannels::skip, "skip"}}};
constexpr const auto& enum_names(MissingChannels) {
  return kMissingChannelsNames;
}

/// channels.intracranial: auto | true | false.
enum class Intracranial { automatic, yes, no };
inline constexpr EnumNames<Intracranial, 3> kIntracranialNames{
    {{Intracranial::automatic, "auto"}, {Intracranial::yes, "true"}, {Intracranial::no, "false"}}};
constexpr const auto& enum_names(Intracranial) {
  return kIntracranialNames;
}

/// Channel selection and montage.
struct IngestChannelsConfig {
  /// referential: the file's referential (and bipolar) EEG channels as they are (or `pick`, in that order);
  /// average: common average reference over the EEG electrodes present; tcp16 | tcp18 | tcp22: TCP double-banana
  /// derivations computed from referential electrodes (or taken as recorded when the file is already bipolar).
  MontageKind montage = MontageKind::referential;
  /// Canonical names (FP1, T7, FP1-F7, ...) to keep, in this order. Empty = every EEG channel in file order.
  std::vector<std::string> pick;
  /// What a missing picked channel / derivation does: error (the file fails) | skip (left out, with a warning).
  MissingChannels missing = MissingChannels::error;
  /// Keep channels whose label is not a known electrode (intracranial contacts, "ch22", Bonn's "EEG").
  bool keep_unknown = false;
  /// Treat every channel as an intracranial contact (kind unknown, so only kept with keep_unknown): true | false |
  /// auto (when the labels look like a numbered grid or strip such as "C1".."C64", with a warning).
  Intracranial intracranial = Intracranial::automatic;

  template <class V>
  void visit(V& v) {
    v("montage", montage, Choices{"referential", "average", "tcp16", "tcp18", "tcp22"});
    v("pick", pick);
    v("missing", missing);
    v("keep_unknown", keep_unknown);
    v("intracranial", intracranial);
  }
};

/// The window table written per recording (the signal itself is stored continuously).
struct IngestWindowsConfig {
  double length_s = 4.0;
  double stride_s = 4.0;

  template <class V>
  void visit(V& v) {
    v("length_s", length_s, positive());
    v("stride_s", stride_s, positive());
  }
};

/// One label source (io/labels.h).
struct LabelSourceConfig {
  /// auto (by file name and content) | csv (file,onset_s,offset_s,label) | whole_file (file,label) | chbmit
  /// (*-summary.txt) | siena (Seizures-list-*.txt) | tusz (.csv_bi / .csv) | bids (*_events.tsv) | edf (the
  /// recording's own EDF+/BDF+ annotations; no paths).
  std::string format = "auto";
  /// Label files or directories (searched recursively for the format's file names). Relative paths are taken
  /// relative to the working directory.
  std::vector<std::string> paths;

  template <class V>
  void visit(V& v) {
    v("format", format, Choices(format_choices()));
    v("paths", paths);
  }
  void validate(const std::string& path) const;
  /// "auto", then the LabelFormat names.
  static std::vector<std::string> format_choices();
  /// The format named by `format`; nullopt for auto (each file's format is told by its name and content).
  std::optional<LabelFormat> label_format() const;
};

struct IngestLabelsConfig {
  /// `--labels FILE_OR_DIR` on the command line appends {format: auto, paths: [FILE_OR_DIR]}.
  std::vector<LabelSourceConfig> sources{LabelSourceConfig{"edf", {}}};
  /// Case-insensitive ECMAScript regex (whole-label match) for labels that denote a seizure. Default: seizure*,
  /// sz*, ictal, and the TUSZ seizure type codes.
  std::string seizure_regex = "(seiz.*|sz.*|ictal|fnsz|gnsz|spsz|cpsz|absz|tnsz|cnsz|tcsz|atsz|mysz|nesz)";
  /// A window is labelled seizure when seizure events cover at least this fraction of it (interval overlap:
  /// a window inside a long seizure is seizure). Other labels use the same threshold.
  double min_overlap = 0.5;
  /// Label of windows no event covers enough.
  std::string background = "background";

  template <class V>
  void visit(V& v) {
    v("sources", sources);
    v("seizure_regex", seizure_regex);
    v("min_overlap", min_overlap, in_range(0.0, 1.0));
    v("background", background);
  }
  void validate(const std::string& path) const;
};

/// subjects.from: folder | regex | mapping.
enum class SubjectSource { folder, regex, mapping };
inline constexpr EnumNames<SubjectSource, 3> kSubjectSourceNames{
    {{SubjectSource::folder, "folder"}, {SubjectSource::regex, "regex"}, {SubjectSource::mapping, "mapping"}}};
constexpr const auto& enum_names(SubjectSource) {
  return kSubjectSourceNames;
}

/// Where subject and session ids come from (never from the file header).
struct IngestSubjectsConfig {
  /// folder: the BIDS `sub-*` path component if there is one, else the file's parent folder; regex: `regex`
  /// applied to the relative path (group 1 = subject, optional group 2 = session); mapping: the CSV `mapping`
  /// with columns file,subject[,session] (file matched like label files).
  SubjectSource from = SubjectSource::folder;
  std::string regex;
  std::string mapping;

  template <class V>
  void visit(V& v) {
    v("from", from);
    v("regex", regex);
    v("mapping", mapping);
  }
  void validate(const std::string& path) const;
};

/// HDF5 layout (docs/store.md).
struct IngestStoreConfig {
  double shard_gb = 2.0;                   ///< a shard is closed once it holds this many GB (1e9 bytes)
  StoreDtype dtype = StoreDtype::float32;  ///< float32 | float16 (signal values in microvolts)
  /// Shuffle + deflate level 1-9 for the signal chunks; 0 = uncompressed. Filtered EEG compresses poorly
  /// (about 17% smaller at level 1, at ~50 MB/s per core), so the default is 0.
  int64_t compression = 0;
  double chunk_s = 10.0;  ///< chunk length along time (seconds of output signal)

  template <class V>
  void visit(V& v) {
    v("shard_gb", shard_gb, positive());
    v("dtype", dtype);
    v("compression", compression, in_range(0, 9));
    v("chunk_s", chunk_s, positive());
  }
};

struct IngestConfig {
  IngestReaderConfig reader;
  IngestInputConfig input;
  PreprocessConfig preprocess;  ///< profile + overrides (config/preprocessing.h)
  IngestChannelsConfig channels;
  IngestWindowsConfig windows;
  IngestLabelsConfig labels;
  IngestSubjectsConfig subjects;
  IngestStoreConfig store;
  int64_t workers = 0;      ///< files processed in parallel; 0 = all available cores
  bool keep_going = false;  ///< exit code 0 even if some files failed (they are still reported)

  template <class V>
  void visit(V& v) {
    v("reader", reader);
    v("input", input);
    v("preprocess", preprocess);
    v("channels", channels);
    v("windows", windows);
    v("labels", labels);
    v("subjects", subjects);
    v("store", store);
    v("workers", workers, in_range(0, 256));
    v("keep_going", keep_going);
  }
};

/// The `ingest` verb's complete config.
struct IngestExperiment {
  RunConfig run;
  IngestConfig ingest;

  template <class V>
  void visit(V& v) {
    v("run", run);
    v("ingest", ingest);
  }
};

}  // namespace efm::config
