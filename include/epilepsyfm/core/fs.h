#pragma once
/// File-system helpers: atomic writes (temp file + fsync + rename, so a crash never leaves a half-written file
/// under the final name) and run directories.
#include <filesystem>
#include <string>
#include <string_view>

namespace efm {

/// Writes `content` to `path` atomically. Throws DataError naming the path on failure.
void atomic_write_file(const std::filesystem::path& path, std::string_view content);
/// Renames `from` to `to` atomically, replacing `to`, and fsyncs the directory.
void atomic_rename(const std::filesystem::path& from, const std::filesystem::path& to);
/// A temporary sibling name for `path` unique to this process: "<dir>/.<name>.tmp.<pid>.<n>".
std::filesystem::path temp_sibling(const std::filesystem::path& path);
/// Reads a whole file; throws DataError naming the path.
std::string read_file(const std::filesystem::path& path);

/// How to treat an existing run directory.
enum class RunDirMode { create_new, resume, overwrite };

/// Creates (or, for `resume`, requires) the run directory `dir`. `create_new` refuses a non-empty existing
/// directory with a ConfigError that suggests --resume or --overwrite. Returns the absolute path.
std::filesystem::path prepare_run_dir(const std::filesystem::path& dir, RunDirMode mode);

/// Repository root baked in at build time (for finding configs/ and ../shared/data from tests and tools).
std::filesystem::path source_dir();
/// Directory of real EEG for tests/benchmarks: $EPILEPSYFM_DATA, else <source_dir>/../shared/data. Empty path if
/// it does not exist.
std::filesystem::path real_data_dir();

}  // namespace efm
