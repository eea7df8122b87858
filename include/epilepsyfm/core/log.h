#pragma once
/// Logging facade over spdlog (spdlog itself stays out of public headers).
///
///   EFM_LOG_INFO("[ingest] {} files, {} windows ({:.1f} h), {} failed", n, w, h, f);
///
/// One line per event, a component tag in brackets. The console sink writes to stderr; `add_file_sink` tees the
/// same lines into a run directory's log.txt. The level comes from `--log-level`, else `EPILEPSYFM_LOG_LEVEL`,
/// else `info`. Arguments are formatted only when the level is enabled.
#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace efm::log {

enum class Level { trace = 0, debug, info, warn, error, off };

/// Parses "trace|debug|info|warn|error|off" (case-insensitive); throws ConfigError naming `what` otherwise.
Level parse_level(std::string_view text, std::string_view what = "log level");
std::string_view level_name(Level level);

/// Console logging at `level`. Safe to call more than once. Reads EPILEPSYFM_LOG_LEVEL when `level` is empty.
void init(std::string_view level = {});
void set_level(Level level);
Level level();
inline bool enabled(Level lvl) {
  return lvl >= level();
}

/// Tees every following line into `path` (created, appended to). Returns false (and warns) if it cannot.
bool add_file_sink(const std::filesystem::path& path);
/// Stops writing to all file sinks (flushing them).
void remove_file_sinks();
/// Data-parallel ranks other than 0 only print warnings and errors, prefixed with their rank.
void set_rank(int rank);

/// Writes one line (no formatting). Prefer the EFM_LOG_* macros.
void write(Level level, std::string_view message);
void flush();

}  // namespace efm::log

#define EFM_LOG_AT_(lvl, ...)                                                         \
  do {                                                                                \
    if (::efm::log::enabled(lvl)) ::efm::log::write(lvl, ::fmt::format(__VA_ARGS__)); \
  } while (false)
#define EFM_LOG_TRACE(...) EFM_LOG_AT_(::efm::log::Level::trace, __VA_ARGS__)
#define EFM_LOG_DEBUG(...) EFM_LOG_AT_(::efm::log::Level::debug, __VA_ARGS__)
#define EFM_LOG_INFO(...) EFM_LOG_AT_(::efm::log::Level::info, __VA_ARGS__)
#define EFM_LOG_WARN(...) EFM_LOG_AT_(::efm::log::Level::warn, __VA_ARGS__)
#define EFM_LOG_ERROR(...) EFM_LOG_AT_(::efm::log::Level::error, __VA_ARGS__)
