#include "epilepsyfm/core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/detail/terminal.h"
#include "epilepsyfm/core/error.h"

namespace efm::log {
namespace {

struct State {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger;
  std::vector<std::shared_ptr<spdlog::sinks::sink>> file_sinks;
  std::atomic<int> level{static_cast<int>(Level::info)};
  int rank = 0;
};

State& state() {
  static State s;
  return s;
}

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> logger_locked(State& s) {
  if (!s.logger) {
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    s.logger = std::make_shared<spdlog::logger>("efm", console);
    s.logger->set_pattern("%^%Y-%m-%d %H:%M:%S.%e %L%$ %v");
    s.logger->set_level(spdlog::level::trace);  // filtering happens in enabled()
    s.logger->flush_on(spdlog::level::warn);
  }
  return s.logger;
}

}  // namespace

Level parse_level(std::string_view text, std::string_view what) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "trace") return Level::trace;
  if (t == "debug") return Level::debug;
  if (t == "info") return Level::info;
  if (t == "warn" || t == "warning") return Level::warn;
  if (t == "error") return Level::error;
  if (t == "off") return Level::off;
  throw ConfigError(
      fmt::format("{}: allowed values are 'trace', 'debug', 'info', 'warn', 'error', 'off', but got '{}'", what, text));
}

std::string_view level_name(Level level) {
  static constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error", "off"};
  return names[static_cast<int>(level)];
}

void init(std::string_view level_text) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  logger_locked(s);
  if (!level_text.empty()) {
    s.level = static_cast<int>(parse_level(level_text, "--log-level"));
  } else if (const char* env = std::getenv("EPILEPSYFM_LOG_LEVEL"); env && *env) {
    s.level = static_cast<int>(parse_level(env, "EPILEPSYFM_LOG_LEVEL"));
  }
}

void set_level(Level l) {
  state().level = static_cast<int>(l);
}
Level level() {
  return static_cast<Level>(state().level.load(std::memory_order_relaxed));
}

bool add_file_sink(const std::filesystem::path& path) {
  State& s = state();
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string(), /*truncate=*/false);
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %L %v");
    std::lock_guard<std::mutex> lock(s.mu);
    logger_locked(s)->sinks().push_back(sink);
    s.file_sinks.push_back(sink);
    return true;
  } catch (const std::exception& e) {
    write(Level::warn, fmt::format("[log] cannot write log file {}: {}", path.string(), e.what()));
    return false;
  }
}

void remove_file_sinks() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.logger) return;
  auto& sinks = s.logger->sinks();
  for (auto& f : s.file_sinks) {
    f->flush();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), f), sinks.end());
  }
  s.file_sinks.clear();
}

void set_rank(int rank) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.rank = rank;
}

void write(Level lvl, std::string_view message) {
  State& s = state();
  std::shared_ptr<spdlog::logger> lg;
  int rank;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    lg = logger_locked(s);
    rank = s.rank;
  }
  if (rank != 0 && lvl < Level::warn) return;
  detail::terminal_clear_status();
  if (rank != 0) {
    lg->log(to_spd(lvl), "[rank {}] {}", rank, message);
  } else {
    lg->log(to_spd(lvl), "{}", message);
  }
  detail::terminal_redraw_status();
}

void flush() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.logger) s.logger->flush();
}

}  // namespace efm::log
