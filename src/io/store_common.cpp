#include <fmt/format.h>

#include <algorithm>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "io/detail/hdf5.h"
#include "io/detail/store_common.h"

namespace efm::io {

int64_t RecordingHeader::n_samples() const {
  int64_t n = 0;
  for (const auto& s : segments) n += s.n_samples;
  return n;
}

namespace detail {

std::string shard_name(int index) {
  return fmt::format("shard-{:05d}.h5", index);
}

std::string partial_shard_name(int index) {
  return fmt::format(".shard-{:05d}.h5.partial", index);
}

std::optional<int> parse_shard_name(const std::string& name) {
  // "shard-" + 5 digits + ".h5"
  if (name.size() != 14 || name.compare(0, 6, "shard-") != 0 || name.compare(11, 3, ".h5") != 0) return std::nullopt;
  int idx = 0;
  for (size_t i = 6; i < 11; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    idx = idx * 10 + (name[i] - '0');
  }
  return idx;
}

const std::vector<std::string>& manifest_columns() {
  static const std::vector<std::string> cols{"recording_id", "subject",       "session",           "shard",
                                             "source_path",  "source_sha256", "config_hash",       "reader",
                                             "format",       "sfreq_hz",      "n_channels",        "n_samples",
                                             "duration_s",   "n_windows",     "n_seizure_windows", "n_rejected_windows",
                                             "n_events",     "n_deviations",  "channels",          "window_labels",
                                             "tool_version", "store_version"};
  return cols;
}

std::vector<std::string> manifest_fields(const RecordingEntry& r) {
  return {r.recording_id,
          r.subject,
          r.session,
          r.shard,
          r.source_path,
          r.source_sha256,
          r.config_hash,
          r.reader,
          r.format,
          fmt::format("{}", r.sfreq_hz),
          std::to_string(r.n_channels),
          std::to_string(r.n_samples),
          fmt::format("{:.6f}", r.duration_s),
          std::to_string(r.n_windows),
          std::to_string(r.n_seizure_windows),
          std::to_string(r.n_rejected_windows),
          std::to_string(r.n_events),
          std::to_string(r.n_deviations),
          r.channels,
          r.window_labels,
          r.tool_version,
          std::to_string(r.store_version)};
}

RecordingEntry manifest_row(const std::vector<std::string>& header, const std::vector<std::string>& fields,
                            const std::string& where) {
  auto get = [&](const char* col) -> std::string {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == col) return i < fields.size() ? fields[i] : std::string();
    }
    throw DataError(fmt::format("{}: manifest column '{}' is missing", where, col));
  };
  auto num = [&](const char* col) { return parse_double(get(col), fmt::format("{}: column '{}'", where, col)); };
  auto integer = [&](const char* col) { return parse_int(get(col), fmt::format("{}: column '{}'", where, col)); };
  RecordingEntry r;
  r.recording_id = get("recording_id");
  r.subject = get("subject");
  r.session = get("session");
  r.shard = get("shard");
  r.source_path = get("source_path");
  r.source_sha256 = get("source_sha256");
  r.config_hash = get("config_hash");
  r.reader = get("reader");
  r.format = get("format");
  r.sfreq_hz = num("sfreq_hz");
  r.n_channels = integer("n_channels");
  r.n_samples = integer("n_samples");
  r.duration_s = num("duration_s");
  r.n_windows = integer("n_windows");
  r.n_seizure_windows = integer("n_seizure_windows");
  r.n_rejected_windows = integer("n_rejected_windows");
  r.n_events = integer("n_events");
  r.n_deviations = integer("n_deviations");
  r.channels = get("channels");
  r.window_labels = get("window_labels");
  r.tool_version = get("tool_version");
  r.store_version = static_cast<int>(integer("store_version"));
  return r;
}

std::vector<StoreLabel> read_labels_file(const std::filesystem::path& path) {
  std::vector<StoreLabel> out;
  if (!std::filesystem::exists(path)) return out;
  const CsvTable t = read_csv(path);
  const size_t c_id = t.column("id"), c_label = t.column("label"), c_sz = t.column("seizure");
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string w = fmt::format("{} row {}", path.string(), r + 2);
    StoreLabel l;
    l.id = static_cast<int>(parse_int(t.rows[r][c_id], w));
    l.name = t.rows[r][c_label];
    l.seizure = parse_int(t.rows[r][c_sz], w) != 0;
    EFM_CHECK_DATA(l.id == static_cast<int>(out.size()), "{}: label ids must be 0, 1, 2, ... in order, got {}", w,
                   l.id);
    out.push_back(std::move(l));
  }
  return out;
}

std::string labels_csv(const std::vector<StoreLabel>& labels) {
  std::string out = csv_line({"id", "label", "seizure"});
  for (const auto& l : labels) out += csv_line({std::to_string(l.id), l.name, l.seizure ? "1" : "0"});
  return out;
}

const char* dtype_name(StoreDtype dtype) {
  return dtype == StoreDtype::float16 ? "float16" : "float32";
}

}  // namespace detail

namespace {

/// The canonical order of a store's recordings: by recording id (byte order). Ingest finishes files in a
/// thread-dependent order; data order, window indices and so training runs must not depend on it.
void sort_by_recording_id(std::vector<RecordingEntry>& rows) {
  std::sort(rows.begin(), rows.end(),
            [](const RecordingEntry& a, const RecordingEntry& b) { return a.recording_id < b.recording_id; });
}

}  // namespace

std::vector<RecordingEntry> read_manifest(const std::filesystem::path& path) {
  const CsvTable t = read_csv(path);
  std::vector<RecordingEntry> rows;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (t.rows[r].size() == 1 && t.rows[r][0].empty()) continue;
    rows.push_back(detail::manifest_row(t.header, t.rows[r], fmt::format("{} row {}", path.string(), r + 2)));
  }
  sort_by_recording_id(rows);  // stores written before manifests were sorted list rows in completion order
  return rows;
}

std::string manifest_csv(const std::vector<RecordingEntry>& rows) {
  std::vector<RecordingEntry> sorted = rows;
  sort_by_recording_id(sorted);
  std::string out = csv_line(detail::manifest_columns());
  for (const auto& r : sorted) out += csv_line(detail::manifest_fields(r));
  return out;
}

std::string hdf5_library_version() {
  unsigned major = 0, minor = 0, release = 0;
  std::lock_guard<std::mutex> lock(detail::hdf5_mutex());
  H5get_libversion(&major, &minor, &release);
  return fmt::format("HDF5 {}.{}.{}", major, minor, release);
}

}  // namespace efm::io
