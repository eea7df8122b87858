// Resolution of the ingest config: profile values, environment variables, absolute label paths, store identity.
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "epilepsyfm/config/copy_fields.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/data/ingest.h"

namespace efm::data {
namespace fs = std::filesystem;

namespace {

/// Expands $VAR, ${VAR} and ${VAR:-default} in `text`; `where` names the key path in errors.
std::string expand_env(const std::string& text, const std::string& where) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    std::string name, fallback;
    bool has_fallback = false;
    size_t end = i;
    if (text[i + 1] == '{') {
      const size_t close = text.find('}', i + 2);
      if (close == std::string::npos) throw ConfigError(fmt::format("{}: unterminated '${{' in '{}'", where, text));
      std::string inner = text.substr(i + 2, close - i - 2);
      if (const auto dash = inner.find(":-"); dash != std::string::npos) {
        fallback = inner.substr(dash + 2);
        inner = inner.substr(0, dash);
        has_fallback = true;
      }
      name = inner;
      end = close;
    } else {
      size_t j = i + 1;
      while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      if (j == i + 1) {
        out += '$';
        continue;
      }
      name = text.substr(i + 1, j - i - 1);
      end = j - 1;
    }
    const char* value = std::getenv(name.c_str());
    if (value && *value) {
      out += value;
    } else if (has_fallback) {
      out += fallback;
    } else {
      throw ConfigError(
          fmt::format("{}: environment variable {} is not set (in '{}'; write ${{{}:-default}} to give a "
                      "default)",
                      where, name, text, name));
    }
    i = end;
  }
  return out;
}

std::string absolute_path(const std::string& p) {
  return fs::absolute(fs::path(p)).lexically_normal().string();
}

}  // namespace

signal::PreprocessOptions preprocess_options(const config::PreprocessConfig& c) {
  try {
    return signal::resolve_preprocess(c);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("ingest.") + e.what());
  }
}

void resolve_ingest_config(config::IngestConfig& cfg) {
  const signal::PreprocessOptions o = preprocess_options(cfg.preprocess);
  config::copy_fields(o, cfg.preprocess);                        // every resolved value, by key
  cfg.preprocess.reject_abs_uv = o.reject_abs_uv.value_or(0.0);  // written as 0 (never), not null

  for (size_t i = 0; i < cfg.input.paths.size(); ++i) {
    cfg.input.paths[i] = expand_env(cfg.input.paths[i], fmt::format("ingest.input.paths[{}]", i));
  }
  for (size_t s = 0; s < cfg.labels.sources.size(); ++s) {
    auto& paths = cfg.labels.sources[s].paths;
    for (size_t i = 0; i < paths.size(); ++i) {
      paths[i] = absolute_path(expand_env(paths[i], fmt::format("ingest.labels.sources[{}].paths[{}]", s, i)));
    }
  }
  if (!cfg.subjects.mapping.empty()) {
    cfg.subjects.mapping = absolute_path(expand_env(cfg.subjects.mapping, "ingest.subjects.mapping"));
  }
  for (auto& e : cfg.input.extensions) {
    if (!e.empty() && e[0] != '.') e = "." + e;
  }
  // Windows must be whole numbers of output samples.
  for (const auto& [name, seconds] : {std::pair<const char*, double>{"length_s", cfg.windows.length_s},
                                      std::pair<const char*, double>{"stride_s", cfg.windows.stride_s}}) {
    const double n = seconds * o.sfreq_hz;
    if (std::abs(n - std::round(n)) > 1e-6 || std::round(n) < 1) {
      throw ConfigError(fmt::format("ingest.windows.{}: {} s at {} Hz is {} samples; it must be a whole number >= 1",
                                    name, seconds, o.sfreq_hz, n));
    }
  }
}

std::string store_config_yaml(const config::IngestConfig& cfg) {
  config::IngestExperiment e;
  e.ingest = cfg;
  e.ingest.input = config::IngestInputConfig{};
  e.ingest.input.extensions.clear();
  e.ingest.workers = 0;
  e.ingest.keep_going = false;
  e.ingest.store.shard_gb = config::IngestStoreConfig{}.shard_gb;
  e.ingest.store.compression = 0;
  e.ingest.store.chunk_s = config::IngestStoreConfig{}.chunk_s;
  e.run = config::RunConfig{};
  return config::to_yaml(e);
}

}  // namespace efm::data
